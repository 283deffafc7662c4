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
It also keeps products: `GET /v1/products/{sku}`, `POST /v1/products`, `PATCH
/v1/products/{sku}` and the same two writes on `/v1/products/{sku}/variants`. Every write
is validated against the product models and rejected with 422 on an unknown field or a
broken rule, with 409 when a SKU is taken, and with 422 when a barcode (`ean`) is already
used by another SKU. `product_writes` counts the write requests, so tests can assert them.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from hub.errors import validation_paths
from hub.models.bemakers import (
    CreditNote,
    FulfillmentRequest,
    FulfillmentStatus,
    Order,
    Product,
    ProductUpdate,
    StockLevelsRequest,
    Variant,
)
from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer, RecordedRequest, loads_json

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
        self._products: dict[str, dict[str, Any]] = {}
        self._sku_owner: dict[str, str] = {}
        """Product SKU of every product and variant SKU."""

    def put_order(self, order: dict[str, Any]) -> None:
        """Store or replace an order. Raises pydantic.ValidationError when it breaks the contract."""
        Order.model_validate(order)
        with self._state_lock:
            self.remember_previous_state()
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

    def put_product(self, product: dict[str, Any]) -> None:
        """Store or replace a product, as if made in Bemakers by hand. Raises pydantic.ValidationError."""
        stored = Product.model_validate(product).model_dump(exclude_none=True)
        with self._state_lock:
            self._remove_product(stored["sku"])
            self._store_product(stored)

    @property
    def products(self) -> dict[str, dict[str, Any]]:
        """Copies of the products with their variants, keyed by product SKU."""
        with self._state_lock:
            return copy.deepcopy(self._products)

    @property
    def product_writes(self) -> list[RecordedRequest]:
        """Every POST and PATCH received on /v1/products, rejected ones included."""
        return [
            request
            for request in self.requests
            if request.method in ("POST", "PATCH") and request.path.startswith("/v1/products")
        ]

    def error_body(self, status: int, message: str, *, fields: list[str] | None = None) -> Any:
        error: dict[str, Any] = {"status": status, "message": message}
        if fields:
            error["fields"] = fields
        return {"error": error}

    def snapshot_state(self) -> Any:
        return dict(self._orders)

    def restore_state(self, snapshot: Any) -> None:
        self._orders = dict(snapshot)

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
        if segments[:2] == ["v1", "products"]:
            return self._handle_products(request, segments[2:])
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

    # -- products -------------------------------------------------------------------------------

    def _handle_products(self, request: HttpRequest, path: list[str]) -> HttpResponse:
        method = request.method
        if not path and method == "POST":
            return self._create_product(request)
        if len(path) == 1 and method in ("GET", "PATCH"):
            product = self._products.get(path[0])
            if product is None:
                return HttpResponse(404, self.error_body(404, f"product {path[0]} not found"))
            if method == "GET":
                return HttpResponse(200, product)
            return self._update_product(request, product)
        if len(path) == 2 and path[1] == "variants" and method == "POST":
            product = self._products.get(path[0])
            if product is None:
                return HttpResponse(404, self.error_body(404, f"product {path[0]} not found"))
            return self._create_variant(request, product)
        if len(path) == 3 and path[1] == "variants" and method == "PATCH":
            product = self._products.get(path[0])
            variant = _find_variant(product, path[2]) if product is not None else None
            if product is None or variant is None:
                return HttpResponse(404, self.error_body(404, f"variant {path[2]} of {path[0]} not found"))
            return self._update_variant(request, product, variant)
        return HttpResponse(405, self.error_body(405, f"{method} is not allowed on {request.path}"))

    def _create_product(self, request: HttpRequest) -> HttpResponse:
        body, problem = self._read_body(request, Product, nested={"variants": Variant})
        if problem is not None:
            return problem
        product = Product.model_validate(body).model_dump(exclude_none=True)
        skus = [product["sku"], *(variant["sku"] for variant in product.get("variants", []))]
        taken = [sku for sku in skus if sku in self._sku_owner]
        if taken:
            return HttpResponse(409, self.error_body(409, f"SKU {taken[0]} is taken", fields=["sku"]))
        items = [product, *product.get("variants", [])]
        if (problem := self._check_barcodes(items, ignore=set())) is not None:
            return problem
        self._store_product(product)
        return HttpResponse(201, product)

    def _update_product(self, request: HttpRequest, product: dict[str, Any]) -> HttpResponse:
        changes, problem = self._read_body(request, ProductUpdate)
        if problem is not None:
            return problem
        merged = {**product, **changes}
        try:
            updated = Product.model_validate(merged).model_dump(exclude_none=True)
        except ValidationError as error:
            return self._invalid(error)
        if (problem := self._check_barcodes([updated], ignore={product["sku"]})) is not None:
            return problem
        self._products[product["sku"]] = updated
        return HttpResponse(200, updated)

    def _create_variant(self, request: HttpRequest, product: dict[str, Any]) -> HttpResponse:
        body, problem = self._read_body(request, Variant)
        if problem is not None:
            return problem
        variant = Variant.model_validate(body).model_dump(exclude_none=True)
        if variant["sku"] in self._sku_owner:
            return HttpResponse(409, self.error_body(409, f"SKU {variant['sku']} is taken", fields=["sku"]))
        if (problem := self._check_barcodes([variant], ignore=set())) is not None:
            return problem
        product.setdefault("variants", []).append(variant)
        self._sku_owner[variant["sku"]] = product["sku"]
        return HttpResponse(201, variant)

    def _update_variant(
        self, request: HttpRequest, product: dict[str, Any], variant: dict[str, Any]
    ) -> HttpResponse:
        changes, problem = self._read_body(request, ProductUpdate)
        if problem is not None:
            return problem
        try:
            updated = Variant.model_validate({**variant, **changes}).model_dump(exclude_none=True)
        except ValidationError as error:
            return self._invalid(error)
        if (problem := self._check_barcodes([updated], ignore={variant["sku"]})) is not None:
            return problem
        variants = product["variants"]
        variants[variants.index(variant)] = updated
        return HttpResponse(200, updated)

    def _read_body(
        self,
        request: HttpRequest,
        model: type[BaseModel],
        *,
        nested: dict[str, type[BaseModel]] | None = None,
    ) -> tuple[dict[str, Any], HttpResponse | None]:
        """Parse and validate a write body. Returns the fields sent, or the error response."""
        try:
            body = loads_json(request.body or b"null")
        except ValueError:
            return {}, HttpResponse(400, self.error_body(400, "the body is not valid JSON"))
        if not isinstance(body, dict):
            return {}, HttpResponse(400, self.error_body(400, "the body must be a JSON object"))
        unknown = _unknown_fields(body, model, nested or {})
        if unknown:
            return {}, HttpResponse(
                422, self.error_body(422, f"unknown fields: {', '.join(unknown)}", fields=unknown)
            )
        if model is ProductUpdate:
            cleared = [name for name in ("name", "active") if name in body and body[name] is None]
            if cleared:
                return {}, HttpResponse(
                    422, self.error_body(422, f"{cleared[0]} cannot be null", fields=cleared)
                )
        try:
            model.model_validate(body)
        except ValidationError as error:
            return {}, self._invalid(error)
        return body, None

    def _invalid(self, error: ValidationError) -> HttpResponse:
        fields = validation_paths(error)
        message = error.errors()[0]["msg"]
        return HttpResponse(422, self.error_body(422, f"invalid product: {message}", fields=fields))

    def _check_barcodes(self, items: list[dict[str, Any]], *, ignore: set[str]) -> HttpResponse | None:
        """Reject a barcode that another SKU already uses, as one barcode names one sellable item."""
        used = {
            item["ean"]: item["sku"]
            for product in self._products.values()
            for item in [product, *product.get("variants", [])]
            if "ean" in item and item["sku"] not in ignore
        }
        for item in items:
            owner = used.get(item.get("ean", ""))
            if owner is not None and owner != item["sku"]:
                message = f"ean {item['ean']} is already used by SKU {owner}"
                return HttpResponse(422, self.error_body(422, message, fields=["ean"]))
        return None

    def _store_product(self, product: dict[str, Any]) -> None:
        self._products[product["sku"]] = product
        for sku in [product["sku"], *(variant["sku"] for variant in product.get("variants", []))]:
            self._sku_owner[sku] = product["sku"]

    def _remove_product(self, sku: str) -> None:
        self._products.pop(sku, None)
        for owned in [key for key, owner in self._sku_owner.items() if owner == sku]:
            del self._sku_owner[owned]


def _find_variant(product: dict[str, Any], sku: str) -> dict[str, Any] | None:
    return next((variant for variant in product.get("variants", []) if variant["sku"] == sku), None)


def _unknown_fields(
    body: dict[str, Any], model: type[BaseModel], nested: dict[str, type[BaseModel]]
) -> list[str]:
    """Return the dotted paths of fields the model does not define, nested lists included."""
    unknown = [name for name in body if name not in model.model_fields]
    for name, item_model in nested.items():
        items = body.get(name)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    unknown += [f"{name}.{index}.{key}" for key in item if key not in item_model.model_fields]
    return unknown


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
