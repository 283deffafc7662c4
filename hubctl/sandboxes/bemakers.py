"""A loopback sandbox of the Bemakers API as the hub assumes it (docs/bemakers-api.md).

It keeps orders, serves `GET /v1/orders` filtered on `updated_since` and paged with a
cursor, and checks the bearer token and the query of every request. Orders put into it
are validated against the hub's Bemakers models, so the sandbox never serves an order
that breaks the contract.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal

from hub.models.bemakers import Order
from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer

MAX_PAGE_SIZE = 250


class BemakersSandbox(LoopbackJsonServer):
    def __init__(self, api_token: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self._api_token = api_token
        self._orders: dict[str, dict[str, Any]] = {}

    def put_order(self, order: dict[str, Any]) -> None:
        """Store or replace an order. Raises pydantic.ValidationError when it breaks the contract."""
        Order.model_validate(order)
        with self._state_lock:
            self.remember_previous_state()
            self._orders[order["id"]] = order

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        with self._state_lock:
            return dict(self._orders)

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"status": status, "message": message}}

    def snapshot_state(self) -> Any:
        return dict(self._orders)

    def restore_state(self, snapshot: Any) -> None:
        self._orders = dict(snapshot)

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("Authorization") != f"Bearer {self._api_token}":
            return HttpResponse(401, self.error_body(401, "missing or invalid bearer token"))
        segments = request.segments
        if request.method != "GET":
            return HttpResponse(405, self.error_body(405, f"{request.method} is not allowed here"))
        if segments == ["v1", "orders"]:
            return self._list_orders(request)
        if len(segments) == 3 and segments[:2] == ["v1", "orders"]:
            order = self._orders.get(segments[2])
            if order is None:
                return HttpResponse(404, self.error_body(404, "order not found"))
            return HttpResponse(200, order)
        return HttpResponse(404, self.error_body(404, f"no resource at {request.path}"))

    def _list_orders(self, request: HttpRequest) -> HttpResponse:
        raw_since = request.query_value("updated_since")
        if raw_since is None:
            return HttpResponse(400, self.error_body(400, "updated_since is required"))
        try:
            since = datetime.fromisoformat(raw_since)
        except ValueError:
            return HttpResponse(400, self.error_body(400, "updated_since is not an ISO 8601 time"))
        if since.tzinfo is None:
            return HttpResponse(400, self.error_body(400, "updated_since needs a UTC offset"))
        raw_limit = request.query_value("limit") or "50"
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE:
            return HttpResponse(400, self.error_body(400, f"limit must be 1 to {MAX_PAGE_SIZE}"))
        after = _decode_cursor(request.query_value("cursor"))
        if after is False:
            return HttpResponse(400, self.error_body(400, "cursor is invalid"))

        # A keyset cursor (the last order's updated_at and id), so an order updated while a
        # client pages moves to a later page instead of shifting other orders past it.
        matching = sorted(
            (_sort_key(order), order)
            for order in self._orders.values()
            if datetime.fromisoformat(order["updated_at"]) >= since
        )
        remaining = [order for key, order in matching if after is None or key > after]
        limit = int(raw_limit)
        page = remaining[:limit]
        next_cursor = _encode_cursor(_sort_key(page[-1])) if len(remaining) > limit else None
        return HttpResponse(200, {"data": page, "next_cursor": next_cursor})


def _sort_key(order: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(order["updated_at"]), str(order["id"])


def _encode_cursor(key: tuple[datetime, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([key[0].isoformat(), key[1]]).encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[datetime, str] | Literal[False] | None:
    """Return the position after which the page starts, None for the first page, False when invalid."""
    if cursor is None:
        return None
    try:
        moment, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(moment), str(order_id)
    except (ValueError, TypeError):
        return False
