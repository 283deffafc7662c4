"""Client for the Bemakers API as the hub assumes it (docs/bemakers-api.md).

Bearer token per maker account; list endpoints filter on `updated_since` and page with a cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TypeVar

import requests
from pydantic import ValidationError

from hub.connectors.http import JsonHttpClient
from hub.errors import TargetRejected, TargetUnavailable, validation_paths
from hub.models.bemakers import CreditNote, CreditNotePage, Order, OrderPage, Page
from hub.secrets import BemakersCredentials

PageModel = TypeVar("PageModel", bound=Page)

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
        for item in self._pages("/v1/orders", updated_since, OrderPage):
            yield from item.data

    def credit_notes_updated_since(self, updated_since: datetime) -> Iterator[CreditNote]:
        """Yield every credit note updated at or after `updated_since`, oldest first, page by page."""
        for item in self._pages("/v1/credit_notes", updated_since, CreditNotePage):
            yield from item.data

    def _pages(self, path: str, updated_since: datetime, model: type[PageModel]) -> Iterator[PageModel]:
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"updated_since": updated_since.isoformat(), "limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            response = self._http.request("GET", path, params=params)
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
                page = model.model_validate_json(response.content)
            except ValidationError as error:
                raise TargetRejected(
                    TARGET,
                    f"a page of {path} fails the Bemakers contract at {validation_paths(error)[:5]}",
                    status=response.status_code,
                ) from None
            yield page
            if not page.next_cursor:
                return
            if page.next_cursor == cursor:
                raise TargetRejected(
                    TARGET, f"GET {path} returned the same next_cursor twice", status=response.status_code
                )
            cursor = page.next_cursor


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
