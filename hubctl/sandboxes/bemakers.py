"""A loopback sandbox of the Bemakers API as the hub assumes it (docs/bemakers-api.md).

It keeps orders, serves `GET /v1/orders` filtered on `updated_since` and paged with a
cursor, and checks the bearer token and the query of every request. Orders put into it
are validated against the hub's Bemakers models, so the sandbox never serves an order
that breaks the contract.

It also takes fulfillments (`POST /v1/orders/{id}/fulfillments`) and stock levels
(`PUT /v1/stock-levels`). Each body is validated against the hub's models, and the sandbox
enforces the rules the models cannot express: order lines must exist and be product lines,
shipped quantities may not exceed the ordered ones, the status must match whether every
product line has shipped, and an external id is accepted once per order (409 after that).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ValidationError

from hub.errors import validation_paths
from hub.models.bemakers import CreditNote, FulfillmentRequest, FulfillmentStatus, Order, StockLevelsRequest
from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer, loads_json

MAX_PAGE_SIZE = 250


class BemakersSandbox(LoopbackJsonServer):
    def __init__(self, api_token: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self._api_token = api_token
        self._orders: dict[str, dict[str, Any]] = {}
        self._credit_notes: dict[str, dict[str, Any]] = {}
        self._fulfillments: dict[str, list[dict[str, Any]]] = {}
        self._stock_levels: dict[tuple[str, str], Decimal] = {}
        self._skus: set[str] = set()
        self._locations: set[str] = set()

    def put_order(self, order: dict[str, Any]) -> None:
        """Store or replace an order. Raises pydantic.ValidationError when it breaks the contract."""
        Order.model_validate(order)
        with self._state_lock:
            self._orders[order["id"]] = order

    def put_credit_note(self, credit_note: dict[str, Any]) -> None:
        """Store or replace a credit note. Raises pydantic.ValidationError when it breaks the contract."""
        CreditNote.model_validate(credit_note)
        with self._state_lock:
            self._credit_notes[credit_note["id"]] = credit_note

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        with self._state_lock:
            return dict(self._orders)

    def add_products(self, skus: Iterable[str], locations: Iterable[str]) -> None:
        """Make SKUs and stock locations known, so that stock levels for them are accepted."""
        with self._state_lock:
            self._skus.update(skus)
            self._locations.update(locations)

    @property
    def fulfillments(self) -> dict[str, list[dict[str, Any]]]:
        """Every stored fulfillment by order id, oldest first."""
        with self._state_lock:
            return {order_id: list(items) for order_id, items in self._fulfillments.items()}

    @property
    def stock_levels(self) -> dict[tuple[str, str], Decimal]:
        """Every stock level set so far, by (SKU, location)."""
        with self._state_lock:
            return dict(self._stock_levels)

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"status": status, "message": message}}

    def handle(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("Authorization") != f"Bearer {self._api_token}":
            return HttpResponse(401, self.error_body(401, "missing or invalid bearer token"))
        segments = request.segments
        if len(segments) == 4 and segments[:2] == ["v1", "orders"] and segments[3] == "fulfillments":
            if request.method == "POST":
                return self._create_fulfillment(segments[2], request)
            if request.method == "GET":
                return self._list_fulfillments(segments[2])
        if segments == ["v1", "stock-levels"] and request.method == "PUT":
            return self._set_stock_levels(request)
        if request.method != "GET":
            return HttpResponse(405, self.error_body(405, f"{request.method} is not allowed here"))
        if segments == ["v1", "orders"]:
            return self._list(request, self._orders)
        if segments == ["v1", "credit_notes"]:
            return self._list(request, self._credit_notes)
        if len(segments) == 3 and segments[:2] == ["v1", "orders"]:
            order = self._orders.get(segments[2])
            if order is None:
                return HttpResponse(404, self.error_body(404, "order not found"))
            return HttpResponse(200, order)
        return HttpResponse(404, self.error_body(404, f"no resource at {request.path}"))

    def _list(self, request: HttpRequest, documents: dict[str, dict[str, Any]]) -> HttpResponse:
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
            for order in documents.values()
            if datetime.fromisoformat(order["updated_at"]) >= since
        )
        remaining = [order for key, order in matching if after is None or key > after]
        limit = int(raw_limit)
        page = remaining[:limit]
        next_cursor = _encode_cursor(_sort_key(page[-1])) if len(remaining) > limit else None
        return HttpResponse(200, {"data": page, "next_cursor": next_cursor})

    # -- fulfillments ------------------------------------------------------------------------------

    def _list_fulfillments(self, order_id: str) -> HttpResponse:
        if order_id not in self._orders:
            return HttpResponse(404, self.error_body(404, "order not found"))
        return HttpResponse(200, {"data": self._fulfillments.get(order_id, [])})

    def _create_fulfillment(self, order_id: str, request: HttpRequest) -> HttpResponse:
        order = self._orders.get(order_id)
        if order is None:
            return HttpResponse(404, self.error_body(404, "order not found"))
        try:
            fulfillment = FulfillmentRequest.model_validate(loads_json(request.body))
        except ValueError as error:
            fields = validation_paths(error) if isinstance(error, ValidationError) else []
            return HttpResponse(
                400, {"error": {"status": 400, "message": "invalid fulfillment", "fields": fields}}
            )
        earlier = self._fulfillments.get(order_id, [])
        if any(item["external_id"] == fulfillment.external_id for item in earlier):
            return HttpResponse(409, self.error_body(409, "a fulfillment with this external_id exists"))

        ordered = {
            line["id"]: Decimal(str(line["quantity"]))
            for line in order["lines"]
            if line.get("line_type", "product") == "product"
        }
        shipped = {line_id: Decimal(0) for line_id in ordered}
        for item in earlier:
            for line in item["lines"]:
                shipped[line["order_line_id"]] += Decimal(str(line["quantity"]))
        for line in fulfillment.lines:
            if line.order_line_id not in ordered:
                return HttpResponse(400, self.error_body(400, f"{line.order_line_id} is not a product line"))
            shipped[line.order_line_id] += line.quantity
            if shipped[line.order_line_id] > ordered[line.order_line_id]:
                return HttpResponse(
                    400, self.error_body(400, f"line {line.order_line_id} ships more than ordered")
                )
        complete = all(shipped[line_id] >= quantity for line_id, quantity in ordered.items())
        expected = FulfillmentStatus.FULFILLED if complete else FulfillmentStatus.PARTIALLY_FULFILLED
        if fulfillment.status is not expected:
            return HttpResponse(
                400, self.error_body(400, f"status must be {expected.value} after this shipment")
            )

        now = datetime.now(UTC)
        stored = {
            "id": f"ful_{uuid.uuid4().hex[:12]}",
            "order_id": order_id,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            **loads_json(request.body),
        }
        self._fulfillments.setdefault(order_id, []).append(stored)
        self._orders[order_id] = {**order, "status": expected.value, "updated_at": stored["created_at"]}
        return HttpResponse(201, stored)

    # -- stock levels -------------------------------------------------------------------------------

    def _set_stock_levels(self, request: HttpRequest) -> HttpResponse:
        try:
            body = StockLevelsRequest.model_validate(loads_json(request.body))
        except ValueError as error:
            fields = validation_paths(error) if isinstance(error, ValidationError) else []
            return HttpResponse(
                400, {"error": {"status": 400, "message": "invalid stock levels", "fields": fields}}
            )
        rejected = []
        updated = 0
        for level in body.levels:
            if level.sku not in self._skus:
                rejected.append({"sku": level.sku, "location": level.location, "reason": "unknown_sku"})
            elif level.location not in self._locations:
                rejected.append({"sku": level.sku, "location": level.location, "reason": "unknown_location"})
            else:
                self._stock_levels[(level.sku, level.location)] = level.quantity
                updated += 1
        return HttpResponse(200, {"updated": updated, "rejected": rejected})


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
