"""Loopback sandbox that speaks Zettle's OAuth, Product Library and Inventory APIs for one merchant.

It keeps products with their variants, which products are tracked, and the STORE balance of
each variant. Every request is checked before it is served:
- `POST /token` takes the assertion grant: `grant_type`, the app's `client_id` and the merchant's
  API key as `assertion`; a revoked key gets 400 `invalid_grant`;
- every API call needs a bearer token that the sandbox issued and that has not expired (401);
- product bodies are validated with jsonschema against the component schemas of the vendor's
  Product Library OpenAPI, copied into tests/contract/zettle with its source, and product
  responses are checked against `ProductResponse` before they are sent;
- inventory movements must name known, tracked products and variants, two different known
  locations and a positive whole `change`.
NOTE: the Inventory API has no OpenAPI file at hand. Its paths and shapes (locations, balances,
`PUT /organizations/self/inventory`) are modelled on the vendor's prose documentation, and the
de-duplication of a repeated `externalUuid` is an assumption (see shared/hub/targets/zettle.py).
Rejected requests get Zettle's `ErrorResponse` shape: `developerMessage`, `errorType`, `violations`.
"""

from __future__ import annotations

import copy
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml
from jsonschema import Draft202012Validator

from hub.signatures import sign
from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer, loads_json

DEFAULT_CONTRACT = (
    Path(__file__).resolve().parents[2] / "tests" / "contract" / "zettle" / "products-openapi.yaml"
)
ASSERTION_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 7200
LOCATION_TYPES = ("STORE", "SOLD", "BIN", "SUPPLIER")
# The maximum `limit` of `GET /library` in the vendor's OpenAPI, also its default page size.
LIBRARY_PAGE_LIMIT = 500


class ProductContract:
    """The Product Library OpenAPI's component schemas, as jsonschema validators."""

    def __init__(self, path: Path = DEFAULT_CONTRACT) -> None:
        self.document = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._validators: dict[str, Draft202012Validator] = {}

    def errors(self, schema_name: str, value: Any) -> list[dict[str, str]]:
        """Return one violation per place where `value` fails the named component schema."""
        validator = self._validators.get(schema_name)
        if validator is None:
            schema = {
                "$ref": f"#/components/schemas/{schema_name}",
                "components": self.document["components"],
            }
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            self._validators[schema_name] = validator
        return [
            {
                "propertyName": ".".join(str(part) for part in error.absolute_path) or "(body)",
                "constraintType": str(error.validator).upper(),
                "developerMessage": error.message,
            }
            for error in validator.iter_errors(value)
        ]


class _Rejected(Exception):
    def __init__(self, status: int, message: str, violations: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.violations = violations or []


class ZettleSandbox(LoopbackJsonServer):
    """One Zettle organisation with one app's client id and the merchant's API key."""

    def __init__(
        self,
        client_id: str,
        api_key: str,
        *,
        contract: Path = DEFAULT_CONTRACT,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 5.0,
    ) -> None:
        super().__init__(host=host, port=port, slow_seconds=slow_seconds)
        self.client_id = client_id
        self._api_key = api_key
        self._api_key_revoked = False
        self.contract = ProductContract(contract)
        self.organization_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle-sandbox:{client_id}"))
        self.locations = {
            kind: str(uuid.uuid5(uuid.NAMESPACE_URL, f"zettle-sandbox:{client_id}:{kind}"))
            for kind in LOCATION_TYPES
        }
        self._tokens: dict[str, float] = {}
        self._products: dict[str, dict[str, Any]] = {}
        self._tracked: set[str] = set()
        self._balances: dict[str, Decimal] = {}
        self._movements: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        self.rejections: list[dict[str, Any]] = []
        """Every request the sandbox rejected, with its violations: a test asserts it stays empty."""

    # -- state for tests and the demo -------------------------------------------------------------

    def add_product(self, name: str, variants: Mapping[str, int | None]) -> str:
        """Create a product with one variant per SKU, validated like `POST /products`. Returns its uuid.

        A variant's value is its STORE balance; a product with any balance is tracked, and one with
        only None values is not.
        """
        variant_bodies = [{"uuid": str(uuid.uuid4()), "sku": sku, "name": name} for sku in variants]
        body = {"uuid": str(uuid.uuid4()), "name": name, "variants": variant_bodies}
        with self._state_lock:
            product_uuid = self._create_product(body)
            for variant, balance in zip(variant_bodies, variants.values(), strict=True):
                if balance is not None:
                    self._tracked.add(product_uuid)
                    self._balances[variant["uuid"]] = Decimal(balance)
            return product_uuid

    def add_library_product(self, name: str, variants: list[dict[str, Any]], **fields: Any) -> str:
        """Create a product with these variants, validated like `POST /products`. Returns its uuid.

        Each variant is a `VariantDTO` without `uuid`, such as `{"sku": "IPA-33CL", "price":
        {"amount": 4500, "currencyId": "DKK"}}`. `fields` are further `ProductCreateRequest`
        fields. Raises ValueError when the product fails the vendor's schema.
        """
        body = {
            "uuid": str(uuid.uuid4()),
            "name": name,
            "variants": [{"uuid": str(uuid.uuid4()), **variant} for variant in variants],
            **fields,
        }
        with self._state_lock:
            try:
                return self._create_product(body)
            except _Rejected as rejected:
                raise ValueError(f"{rejected}: {rejected.violations}") from None

    def update_variant(self, sku: str, **fields: Any) -> None:
        """Change fields of the variant with this SKU, as the merchant would in the Zettle app.

        A field given as None is removed. Raises ValueError when the product then fails the
        vendor's `ProductResponse` schema, KeyError for an unknown SKU.
        """
        with self._state_lock:
            product_uuid, variant_uuid = self._variant(sku)
            product = copy.deepcopy(self._products[product_uuid])
            variant = next(item for item in product["variants"] if item["uuid"] == variant_uuid)
            for name, value in fields.items():
                if value is None:
                    variant.pop(name, None)
                else:
                    variant[name] = copy.deepcopy(value)
            self._replace_product(product)

    def update_product(self, product_uuid: str, **fields: Any) -> None:
        """Change product-level fields such as `name`, as the merchant would. Raises ValueError as above."""
        with self._state_lock:
            product = copy.deepcopy(self._products[product_uuid])
            product.update(copy.deepcopy(fields))
            self._replace_product(product)

    def product_uuid(self, sku: str) -> str:
        """Return the uuid of the product that has a variant with this SKU. Raises KeyError."""
        with self._state_lock:
            return self._variant(sku)[0]

    def delete_product(self, product_uuid: str) -> None:
        """Delete a product from the library, as `DELETE /products/{productUuid}` does."""
        with self._state_lock:
            del self._products[product_uuid]
            self._tracked.discard(product_uuid)

    def _replace_product(self, product: dict[str, Any]) -> None:
        product["updated"] = _now()
        product["etag"] = uuid.uuid4().hex
        violations = self.contract.errors("ProductResponse", product)
        if violations:
            raise ValueError(f"the product fails ProductResponse: {violations}")
        self._products[product["uuid"]] = product

    def set_balance(self, sku: str, balance: int) -> None:
        """Set a tracked variant's STORE balance, as a count in the Zettle app does."""
        with self._state_lock:
            _, variant_uuid = self._variant(sku)
            self._balances[variant_uuid] = Decimal(balance)

    def balance(self, sku: str) -> Decimal | None:
        """Return the variant's STORE balance, or None when its product is not tracked."""
        with self._state_lock:
            product_uuid, variant_uuid = self._variant(sku)
            if product_uuid not in self._tracked:
                return None
            return self._balances.get(variant_uuid, Decimal(0))

    @property
    def movements(self) -> dict[str, dict[str, Any]]:
        """Every applied movement by its `externalUuid`, in Zettle's request shape."""
        with self._state_lock:
            return copy.deepcopy(self._movements)

    def revoke_api_key(self) -> None:
        """Revoke the merchant's API key and every token issued with it."""
        with self._state_lock:
            self._api_key_revoked = True
            self._tokens.clear()

    def restore_api_key(self, api_key: str) -> None:
        """Accept a new API key, as after the merchant created one."""
        with self._state_lock:
            self._api_key = api_key
            self._api_key_revoked = False

    def expire_tokens(self) -> None:
        """Let every issued access token expire."""
        with self._state_lock:
            self._tokens.clear()

    def webhook(
        self, event_name: str, payload: Mapping[str, Any], signing_key: str
    ) -> tuple[dict[str, str], bytes]:
        """Return the headers and body of a Pusher webhook message signed with `signing_key`."""
        timestamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        payload_text = json.dumps(payload)
        message = {
            "organizationUuid": self.organization_uuid,
            "messageUuid": str(uuid.uuid1()),
            "eventName": event_name,
            "messageId": str(uuid.uuid4()),
            "payload": payload_text,
            "timestamp": timestamp,
        }
        signature = sign(signing_key, timestamp, payload_text.encode("utf-8"))
        headers = {"Content-Type": "application/json", "X-iZettle-Signature": signature}
        return headers, json.dumps(message).encode("utf-8")

    # -- dispatch ---------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> Any:
        return {"developerMessage": message, "errorType": _error_type(status), "violations": []}

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method == "POST" and request.segments == ["token"]:
                return self._token(request)
            self._check_token(request)
            return self._route(request)
        except _Rejected as rejected:
            if rejected.status not in (401, 404):
                self.rejections.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "message": str(rejected),
                        "violations": rejected.violations,
                    }
                )
            body = {
                "developerMessage": str(rejected),
                "errorType": _error_type(rejected.status),
                "violations": rejected.violations,
            }
            return HttpResponse(rejected.status, body)

    def _route(self, request: HttpRequest) -> HttpResponse:
        segments = request.segments
        if segments[:2] != ["organizations", "self"] and segments[:2] != [
            "organizations",
            self.organization_uuid,
        ]:
            raise _Rejected(404, f"No resource for {request.method} {request.path}.")
        path = "/".join(segments[2:])
        if request.method == "GET" and path == "products/v2":
            return self._list_products()
        if request.method == "GET" and path == "library":
            return self._library(request)
        if request.method == "POST" and path == "products":
            return self._post_product(request)
        if request.method == "GET" and path == "locations":
            return HttpResponse(
                200,
                [
                    {"uuid": location, "type": kind, "name": kind.title()}
                    for kind, location in self.locations.items()
                ],
            )
        if request.method == "GET" and len(segments) == 5 and path.startswith("inventory/locations/"):
            return self._location_balances(segments[4])
        if request.method == "PUT" and path == "inventory":
            return self._move(request)
        raise _Rejected(404, f"No resource for {request.method} {request.path}.")

    # -- OAuth ------------------------------------------------------------------------------------

    def _token(self, request: HttpRequest) -> HttpResponse:
        form = {name: values[0] for name, values in parse_qs(request.body.decode("utf-8")).items()}
        if form.get("grant_type") != ASSERTION_GRANT:
            return HttpResponse(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id:
            return HttpResponse(400, {"error": "invalid_client"})
        assertion = form.get("assertion", "")
        if self._api_key_revoked or not hmac.compare_digest(assertion.encode(), self._api_key.encode()):
            return HttpResponse(
                400, {"error": "invalid_grant", "error_description": "The API key is invalid or revoked."}
            )
        token = secrets.token_urlsafe(24)
        self._tokens[token] = time.monotonic() + TOKEN_LIFETIME_SECONDS
        self.tokens_issued += 1
        return HttpResponse(
            200, {"access_token": token, "expires_in": TOKEN_LIFETIME_SECONDS, "token_type": "Bearer"}
        )

    def _check_token(self, request: HttpRequest) -> None:
        supplied = request.headers.get("Authorization") or ""
        token = supplied.removeprefix("Bearer ")
        expires_at = self._tokens.get(token)
        if not supplied.startswith("Bearer ") or expires_at is None or expires_at < time.monotonic():
            raise _Rejected(401, "The access token is missing, invalid or expired.")

    # -- products ---------------------------------------------------------------------------------

    def _post_product(self, request: HttpRequest) -> HttpResponse:
        try:
            body = loads_json(request.body)
        except ValueError:
            raise _Rejected(400, "The body is not valid JSON.") from None
        product_uuid = self._create_product(body)
        return HttpResponse(
            201, self._products[product_uuid], {"Location": f"/organizations/self/products/{product_uuid}"}
        )

    def _create_product(self, body: Any) -> str:
        violations = self.contract.errors("ProductCreateRequest", body)
        if violations:
            raise _Rejected(400, "The product fails the ProductCreateRequest schema.", violations)
        if body["uuid"] in self._products:
            raise _Rejected(409, f"A product with uuid {body['uuid']} already exists.")
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        product = {
            **copy.deepcopy(body),
            "variants": copy.deepcopy(body.get("variants") or [{"uuid": str(uuid.uuid4())}]),
            "created": now,
            "updated": now,
            "etag": uuid.uuid4().hex,
        }
        self._products[body["uuid"]] = product
        return str(body["uuid"])

    def _list_products(self) -> HttpResponse:
        products = list(copy.deepcopy(self._products).values())
        for product in products:
            violations = self.contract.errors("ProductResponse", product)
            if violations:
                raise AssertionError(f"the sandbox built a product that fails ProductResponse: {violations}")
        return HttpResponse(200, products)

    def _library(self, request: HttpRequest) -> HttpResponse:
        """Serve `GET /library` in pages of `limit` products, linking the next page in `Link`."""
        query = {name: values[-1] for name, values in request.query.items()}
        violations = _library_query_violations(request.query)
        if violations:
            raise _Rejected(400, "The library query is invalid.", violations)
        if "eventLogUuid" in query:
            # The sandbox keeps no event log, so it responds as Zettle does to a delta that is too
            # large, and the client must read the whole library instead.
            return HttpResponse(412, None)
        limit = int(query.get("limit", str(LIBRARY_PAGE_LIMIT)))
        offset = int(query.get("offset", "0"))
        products = [copy.deepcopy(self._products[key]) for key in sorted(self._products)]
        page = {"products": products[offset : offset + limit], "deletedProducts": [], "discounts": []}
        violations = self.contract.errors("LibraryResponse", page)
        if violations:
            raise AssertionError(f"the sandbox built a library page that fails LibraryResponse: {violations}")
        headers = {}
        if offset + limit < len(products):
            next_url = f"{self.base_url}/organizations/self/library?limit={limit}&offset={offset + limit}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        return HttpResponse(200, page, headers)

    def _variant(self, sku: str) -> tuple[str, str]:
        for product in self._products.values():
            for variant in product["variants"]:
                if variant.get("sku") == sku:
                    return product["uuid"], variant["uuid"]
        raise KeyError(f"no Zettle variant has SKU {sku}")

    # -- inventory --------------------------------------------------------------------------------

    def _location_balances(self, location_uuid: str) -> HttpResponse:
        if location_uuid != self.locations["STORE"]:
            raise _Rejected(
                404, f"Location {location_uuid} has no balances: only the STORE location is tracked."
            )
        variants = [
            {
                "productUuid": product["uuid"],
                "variantUuid": variant["uuid"],
                "balance": self._balances[variant["uuid"]],
            }
            for product in self._products.values()
            if product["uuid"] in self._tracked
            for variant in product["variants"]
            if self._balances.get(variant["uuid"], Decimal(0)) != 0
        ]
        return HttpResponse(
            200,
            {"locationUuid": location_uuid, "trackedProducts": sorted(self._tracked), "variants": variants},
        )

    def _move(self, request: HttpRequest) -> HttpResponse:
        try:
            body = loads_json(request.body)
        except ValueError:
            raise _Rejected(400, "The body is not valid JSON.") from None
        violations = _movement_violations(body)
        if violations:
            raise _Rejected(400, "The inventory update is invalid.", violations)
        external_uuid = body.get("externalUuid")
        if external_uuid is not None and external_uuid in self._movements:
            # NOTE: assumed vendor behaviour; a repeated externalUuid is answered without moving again.
            return self._location_balances(self.locations["STORE"])

        store = self.locations["STORE"]
        known_locations = set(self.locations.values())
        updates: dict[str, Decimal] = {}
        for index, change in enumerate(body["changes"]):
            path = f"changes.{index}"
            product = self._products.get(change["productUuid"])
            if product is None or change["variantUuid"] not in {
                variant["uuid"] for variant in product["variants"]
            }:
                raise _Rejected(
                    400,
                    "Unknown product or variant.",
                    [_violation(path, "NOT_FOUND", "no such product variant")],
                )
            if product["uuid"] not in self._tracked:
                raise _Rejected(
                    400,
                    "Inventory is not tracked for the product.",
                    [_violation(path, "NOT_TRACKED", "start tracking first")],
                )
            if {change["fromLocationUuid"], change["toLocationUuid"]} - known_locations:
                raise _Rejected(400, "Unknown location.", [_violation(path, "NOT_FOUND", "no such location")])
            amount = Decimal(change["change"])
            variant_uuid = change["variantUuid"]
            current = updates.get(variant_uuid, self._balances.get(variant_uuid, Decimal(0)))
            if change["fromLocationUuid"] == store:
                current -= amount
            if change["toLocationUuid"] == store:
                current += amount
            updates[variant_uuid] = current
        self._balances.update(updates)
        if external_uuid is not None:
            self._movements[external_uuid] = copy.deepcopy(body)
        return self._location_balances(store)


def _library_query_violations(query: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """Check `GET /library` parameters against the vendor's OpenAPI: names, types and limits."""
    violations = [
        _violation(name, "UNKNOWN_PARAMETER", "is not a parameter of GET /library")
        for name in query
        if name not in ("eventLogUuid", "limit", "offset", "all")
    ]
    for name, values in query.items():
        if len(values) > 1:
            violations.append(_violation(name, "SINGLE_VALUE", "must be given once"))
    limit = query.get("limit", [str(LIBRARY_PAGE_LIMIT)])[-1]
    if not limit.isdigit() or not 1 <= int(limit) <= LIBRARY_PAGE_LIMIT:
        violations.append(
            _violation("limit", "INVALID_RANGE", f"must be a whole number from 1 to {LIBRARY_PAGE_LIMIT}")
        )
    # The OpenAPI types offset as a string. The sandbox issues whole numbers and accepts only those.
    offset = query.get("offset", ["0"])[-1]
    if not offset.isdigit():
        violations.append(_violation("offset", "INVALID", "must be an offset from a Link header"))
    if query.get("all", ["false"])[-1] not in ("true", "false"):
        violations.append(_violation("all", "TYPE", "must be true or false"))
    event_log_uuid = query.get("eventLogUuid")
    if event_log_uuid is not None:
        try:
            uuid.UUID(event_log_uuid[-1])
        except ValueError:
            violations.append(_violation("eventLogUuid", "UUID", "must be a uuid"))
    return violations


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _movement_violations(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [_violation("(body)", "TYPE", "must be an object")]
    violations = [
        _violation(name, "UNKNOWN_FIELD", "is not a field of this request")
        for name in body
        if name not in ("changes", "externalUuid", "returnBalanceForLocationUuid")
    ]
    changes = body.get("changes")
    if not isinstance(changes, list) or not changes:
        return [*violations, _violation("changes", "NOT_EMPTY", "must be a non-empty list")]
    required = ("productUuid", "variantUuid", "fromLocationUuid", "toLocationUuid", "change")
    for index, change in enumerate(changes):
        path = f"changes.{index}"
        if not isinstance(change, dict):
            violations.append(_violation(path, "TYPE", "must be an object"))
            continue
        violations += [
            _violation(f"{path}.{name}", "NOT_NULL", "is required") for name in required if name not in change
        ]
        violations += [
            _violation(f"{path}.{name}", "UNKNOWN_FIELD", "is not a field of a change")
            for name in change
            if name not in required
        ]
        amount = change.get("change")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            violations.append(_violation(f"{path}.change", "POSITIVE", "must be a positive whole number"))
        if change.get("fromLocationUuid") == change.get("toLocationUuid"):
            violations.append(_violation(path, "DIFFERENT_LOCATIONS", "must move between two locations"))
    external_uuid = body.get("externalUuid")
    if external_uuid is not None:
        try:
            uuid.UUID(str(external_uuid))
        except ValueError:
            violations.append(_violation("externalUuid", "UUID", "must be a uuid"))
    return violations


def _violation(name: str, constraint: str, message: str) -> dict[str, str]:
    return {"propertyName": name, "constraintType": constraint, "developerMessage": message}


def _error_type(status: int) -> str:
    return {400: "VALIDATION_ERROR", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONFLICT"}.get(
        status, "ERROR"
    )
