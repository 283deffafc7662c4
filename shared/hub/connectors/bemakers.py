"""Client for the Bemakers API as the hub assumes it (docs/bemakers-api.md).

Bearer token per maker account; list endpoints filter on `updated_since` and page with a cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

import requests
from pydantic import ValidationError

from hub.connectors.http import JsonHttpClient
from hub.errors import TargetRejected, TargetUnavailable, validation_paths
from hub.models.bemakers import Order, OrderPage
from hub.secrets import BemakersCredentials

TARGET = "bemakers"
PAGE_SIZE = 100


class BemakersClient:
    def __init__(
        self,
        base_url: str,
        credentials: BemakersCredentials,
        *,
        timeout_seconds: float,
        max_attempts: int = 4,
    ) -> None:
        self._http = JsonHttpClient(
            TARGET,
            base_url,
            headers={"Authorization": f"Bearer {credentials.api_token}", "Accept": "application/json"},
            timeout_seconds=timeout_seconds,
            max_attempts=max_attempts,
        )

    def orders_updated_since(self, updated_since: datetime) -> Iterator[Order]:
        """Yield every order updated at or after `updated_since`, oldest first, page by page."""
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"updated_since": updated_since.isoformat(), "limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            response = self._http.request("GET", "/v1/orders", params=params)
            if response.status_code in (401, 403):
                raise TargetUnavailable(
                    TARGET,
                    f"Bemakers rejected the API token (HTTP {response.status_code})",
                    status=response.status_code,
                )
            if response.status_code >= 400:
                raise TargetRejected(
                    TARGET,
                    f"GET /v1/orders failed with HTTP {response.status_code}",
                    status=response.status_code,
                )
            try:
                # NOTE: one order that fails the model fails the whole page, so the poll of this
                # connection stops at the cursor (and alarms) until the order is fixed upstream.
                page = OrderPage.model_validate_json(response.content)
            except ValidationError as error:
                raise TargetRejected(
                    TARGET,
                    f"an orders page fails the Bemakers contract at {validation_paths(error)[:5]}",
                    status=response.status_code,
                ) from None
            yield from page.data
            if not page.next_cursor:
                return
            if page.next_cursor == cursor:
                raise TargetRejected(
                    TARGET, "GET /v1/orders returned the same next_cursor twice", status=response.status_code
                )
            cursor = page.next_cursor

    def get_order(self, order_id: str) -> Order:
        """Return the order as Bemakers has it now.

        Raises TargetRejected (for a missing order too, with status 404) or TargetUnavailable.
        """
        response = self._http.request("GET", f"/v1/orders/{quote(order_id, safe='')}")
        if response.status_code in (401, 403):
            raise TargetUnavailable(
                TARGET,
                f"Bemakers rejected the API token (HTTP {response.status_code})",
                status=response.status_code,
            )
        if response.status_code >= 400:
            raise TargetRejected(
                TARGET,
                f"GET /v1/orders/{order_id} failed with HTTP {response.status_code}:"
                f" {_error_message(response)}",
                status=response.status_code,
            )
        try:
            return Order.model_validate_json(response.content)
        except ValidationError as error:
            raise TargetRejected(
                TARGET,
                f"order {order_id} fails the Bemakers contract at {validation_paths(error)[:5]}",
                status=response.status_code,
            ) from None


def _error_message(response: requests.Response) -> str:
    """Return Bemakers' own reason from an error body (`{"error": {"message": ...}}`), if any."""
    try:
        body = response.json()
    except ValueError:
        return "no JSON body"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return "no error message"
