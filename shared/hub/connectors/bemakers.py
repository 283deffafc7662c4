"""Client for the Bemakers API as the hub assumes it (docs/bemakers-api.md).

Bearer token per maker account; list endpoints filter on `updated_since` and page with a cursor.
The hub reads orders and credit notes and writes fulfillments and stock levels. Products are
read one at a time by SKU and written with POST (create) and PATCH (update, deactivate).
Bemakers deletes nothing on the hub's behalf.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError

from hub.connectors.http import JsonHttpClient
from hub.errors import AlreadyExists, TargetRejected, TargetUnavailable, validation_paths
from hub.models.bemakers import (
    CreditNote,
    CreditNotePage,
    Fulfillment,
    FulfillmentList,
    FulfillmentRequest,
    Order,
    OrderPage,
    Page,
    Product,
    ProductUpdate,
    StockLevel,
    StockLevelsRequest,
    StockLevelsResult,
    Variant,
)
from hub.secrets import BemakersCredentials

PageModel = TypeVar("PageModel", bound=Page)

TARGET = "bemakers"
_Model = TypeVar("_Model", bound=BaseModel)
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

    # -- products -------------------------------------------------------------------------------

    def get_product(self, sku: str) -> Product | None:
        """Return the product with its variants, or None when Bemakers has no product with this SKU."""
        response = self._http.request("GET", _product_path(sku))
        if response.status_code == 404:
            return None
        _raise_for_status(response, "GET /v1/products/{sku}")
        try:
            return Product.model_validate_json(response.content)
        except ValidationError as error:
            raise TargetRejected(
                TARGET,
                f"product {sku!r} from Bemakers fails the contract at {validation_paths(error)[:5]}",
                status=response.status_code,
            ) from None

    def create_product(self, product: Product) -> None:
        """Create a product with its variants. Raises AlreadyExists when a SKU is taken."""
        self._write("POST", "/v1/products", product.model_dump(exclude_none=True))

    def update_product(self, sku: str, changes: ProductUpdate) -> None:
        """Change the fields set in `changes` on the product; a field set to None is cleared."""
        self._write("PATCH", _product_path(sku), changes.model_dump(exclude_unset=True))

    def create_variant(self, product_sku: str, variant: Variant) -> None:
        """Add a variant to an existing product. Raises AlreadyExists when its SKU is taken."""
        self._write("POST", f"{_product_path(product_sku)}/variants", variant.model_dump(exclude_none=True))

    def update_variant(self, product_sku: str, sku: str, changes: ProductUpdate) -> None:
        """Change the fields set in `changes` on one variant; a field set to None is cleared."""
        self._write(
            "PATCH",
            f"{_product_path(product_sku)}/variants/{_segment(sku)}",
            changes.model_dump(exclude_unset=True),
        )

    def deactivate_product(self, sku: str) -> None:
        """Deactivate the product, so that the webshop stops selling it. Nothing is deleted."""
        self.update_product(sku, ProductUpdate(active=False))

    def deactivate_variant(self, product_sku: str, sku: str) -> None:
        """Deactivate one variant. Nothing is deleted."""
        self.update_variant(product_sku, sku, ProductUpdate(active=False))

    def _write(self, method: str, path: str, body: dict[str, Any]) -> None:
        # A PATCH sets absolute values, so sending it twice has the effect of sending it once.
        response = self._http.request(method, path, json_body=body, idempotent=method == "PATCH")
        _raise_for_status(response, f"{method} {path}")

    # -- paging ---------------------------------------------------------------------------------

    def _pages(self, path: str, updated_since: datetime, model: type[PageModel]) -> Iterator[PageModel]:
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"updated_since": updated_since.isoformat(), "limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            response = self._http.request("GET", path, params=params)
            _raise_for_status(response, f"GET {path}")
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

    def get_order(self, order_id: str) -> Order:
        """Return the order as Bemakers has it now.

        Raises TargetRejected (for a missing order too, with status 404) or TargetUnavailable.
        """
        response = self._http.request("GET", f"/v1/orders/{_segment(order_id)}")
        _raise_for_status(response, "GET /v1/orders/{id}")
        return _validated(response, Order)

    def fulfillments(self, order_id: str) -> list[Fulfillment]:
        """Return every fulfillment of the order, oldest first."""
        response = self._http.request("GET", f"/v1/orders/{_segment(order_id)}/fulfillments")
        _raise_for_status(response, "GET /v1/orders/{id}/fulfillments")
        return _validated(response, FulfillmentList).data

    def create_fulfillment(self, order_id: str, fulfillment: FulfillmentRequest) -> Fulfillment:
        """Post one shipment of the order. A 409 (its external id exists) adopts the stored fulfillment.

        Raises TargetRejected when Bemakers refuses the fulfillment, TargetUnavailable when the
        outcome is unknown (the HTTP client does not resend a POST that may have taken effect).
        """
        response = self._http.request(
            "POST",
            f"/v1/orders/{_segment(order_id)}/fulfillments",
            json_body=_wire(fulfillment.model_dump(exclude_none=True)),
        )
        if response.status_code == 409:
            existing = self.find_fulfillment(order_id, fulfillment.external_id)
            if existing is not None:
                return existing
        _raise_for_status(response, "POST /v1/orders/{id}/fulfillments")
        return _validated(response, Fulfillment)

    def find_fulfillment(self, order_id: str, external_id: str) -> Fulfillment | None:
        """Return the order's fulfillment with this external id, or None."""
        return next((item for item in self.fulfillments(order_id) if item.external_id == external_id), None)

    def set_stock_levels(self, levels: Sequence[StockLevel]) -> StockLevelsResult:
        """Set up to 100 stock levels. Levels with an unknown SKU or location come back as rejected."""
        body = StockLevelsRequest(levels=list(levels))
        response = self._http.request("PUT", "/v1/stock-levels", json_body=_wire(body.model_dump()))
        _raise_for_status(response, "PUT /v1/stock-levels")
        return _validated(response, StockLevelsResult)


def _wire(value: Any) -> Any:
    """Prepare a model dump for JSON: times as ISO 8601 in UTC with `Z`, Decimals kept for exact numbers."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _validated(response: requests.Response, model: type[_Model]) -> _Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        raise TargetRejected(
            TARGET,
            f"a {model.__name__} answer fails the Bemakers contract at {validation_paths(error)[:5]}",
            status=response.status_code,
        ) from None


def _product_path(sku: str) -> str:
    return f"/v1/products/{_segment(sku)}"


def _segment(value: str) -> str:
    """Percent-encode a SKU as one path segment, `/` included."""
    return quote(value, safe="")


def _raise_for_status(response: requests.Response, request: str) -> None:
    """Map a Bemakers error response to the hub's errors; do nothing for a 2xx or 3xx."""
    if response.status_code < 400:
        return
    if response.status_code in (401, 403):
        raise TargetUnavailable(
            TARGET,
            f"Bemakers rejected the API token (HTTP {response.status_code})",
            status=response.status_code,
        )
    fields = _error_fields(response)
    error_type = AlreadyExists if response.status_code == 409 else TargetRejected
    raise error_type(
        TARGET,
        f"{request} failed with HTTP {response.status_code}: {_error_message(response)}",
        status=response.status_code,
        field=fields[0] if fields else None,
    )


def _error_fields(response: requests.Response) -> list[str]:
    """Return the field paths an error body names (`{"error": {"fields": [...]}}`), if any."""
    try:
        body = response.json()
    except ValueError:
        return []
    error = body.get("error") if isinstance(body, dict) else None
    fields = error.get("fields") if isinstance(error, dict) else None
    return [str(field) for field in fields] if isinstance(fields, list) else []


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
