"""Loopback sandbox that speaks Visma e-conomic's legacy REST API (restapi.e-conomic.com).

It serves customers, products, draft and booked invoices, draft orders and the reference
collections an agreement starts with. Every POST and PUT body is validated against the JSON
schemas in tests/contract/economic/schemas, which were derived from e-conomic's REST docs
(github.com/e-conomic/slate @ f6bf5a4). The sandbox also enforces the docs' rules that a
schema cannot express:
- null is never accepted as a value;
- a referenced object needs its number or its self link (E04500);
- a line with a product needs a quantity (E04730);
- unitNetPrice takes at most 2 decimals (E04740);
- a reference to an entity that does not exist is rejected (E06000);
- filters and sorts work only on the properties the docs mark filterable or sortable.
Rejected writes get e-conomic's annotated error body, whose `errors` object mirrors the request.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode, urlsplit

from jsonschema import Draft202012Validator, ValidationError, validators

from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer, dumps_json, loads_json

DEFAULT_CONTRACT_DIR = Path(__file__).resolve().parents[2] / "tests" / "contract" / "economic"

# Error codes that e-conomic's docs show, with the meaning the docs give them.
MISSING_IDENTIFIER = "E04500"  # a referenced object has neither its number nor self
QUANTITY_REQUIRED = "E04730"  # quantity missing on a line that has a product
UNIT_NET_PRICE_SCALE = "E04740"  # unitNetPrice has more than 2 decimals
ENTITY_NOT_FOUND = "E06000"  # the referenced entity does not exist
# NOTE: the docs name no code for schema violations or null values, so E04000 is the sandbox's
# own choice. E06010 for a duplicate key comes from a third-party test stub and is unverified.
SCHEMA_VIOLATION = "E04000"
DUPLICATE_KEY = "E06010"

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000
MAX_IN_VALUES = 200

_CENT = Decimal("0.01")
_VALIDATION_HINT = "Inspect the errors object and correct the request."


# =============================================================================================
# Reference data of an agreement
# =============================================================================================


@dataclass(frozen=True)
class VatZone:
    """A VAT zone. `vat_rate` is the percentage charged on invoices to recipients in the zone."""

    number: int
    name: str
    vat_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class PaymentTerms:
    """Payment terms. `payment_terms_type` is one of e-conomic's values, e.g. net or invoiceMonth."""

    number: int
    name: str
    payment_terms_type: str
    days_of_credit: int = 0


@dataclass(frozen=True)
class Layout:
    """An invoice layout."""

    number: int
    name: str


@dataclass(frozen=True)
class CustomerGroup:
    """A customer group."""

    number: int
    name: str


@dataclass(frozen=True)
class ProductGroup:
    """A product group. Lines of products in a `vat_exempt` group carry no VAT in any VAT zone.

    NOTE: e-conomic's product group resource has no such flag. There, the group's sales account
    for each VAT zone decides the VAT through that account's VAT code (GET
    /product-groups/:productGroupNumber/sales-accounts in the REST docs). So the sandbox leaves
    `vat_exempt` out of GET /product-groups.
    """

    number: int
    name: str
    vat_exempt: bool = False


@dataclass(frozen=True)
class Unit:
    """A unit of quantity on products and invoice lines."""

    number: int
    name: str


@dataclass(frozen=True)
class Currency:
    """A currency. `exchange_rate` is the base-currency price of 100 units of this currency."""

    code: str
    name: str
    exchange_rate: Decimal = Decimal(100)


@dataclass(frozen=True)
class ReferenceData:
    """Reference data of an agreement. The defaults are those of a fresh Danish agreement."""

    vat_zones: tuple[VatZone, ...] = (
        VatZone(1, "Domestic", Decimal(25)),
        VatZone(2, "EU"),
        VatZone(3, "Abroad"),
        VatZone(4, "Domestic exempt"),
    )
    payment_terms: tuple[PaymentTerms, ...] = (
        PaymentTerms(1, "Net 8 days", "net", 8),
        PaymentTerms(2, "Net 14 days", "net", 14),
        PaymentTerms(3, "Net 30 days", "net", 30),
        PaymentTerms(4, "Net 60 days", "net", 60),
        PaymentTerms(5, "Paid", "prepaid", 0),
    )
    layouts: tuple[Layout, ...] = (Layout(19, "Standard"),)
    customer_groups: tuple[CustomerGroup, ...] = (
        CustomerGroup(1, "Consumers"),
        CustomerGroup(2, "Businesses"),
        CustomerGroup(3, "Distributors"),
    )
    product_groups: tuple[ProductGroup, ...] = (
        ProductGroup(1, "Beverages"),
        ProductGroup(2, "Shipping and fees"),
        ProductGroup(3, "No VAT (rounding, exempt shipping)", vat_exempt=True),
    )
    units: tuple[Unit, ...] = (Unit(1, "pcs"),)
    # NOTE: fixed rates for the demo. The real API uses the day's rate when exchangeRate is left out.
    currencies: tuple[Currency, ...] = (
        Currency("DKK", "Danish krone"),
        Currency("EUR", "Euro", Decimal("746.00")),
        Currency("SEK", "Swedish krona", Decimal("65.00")),
        Currency("NOK", "Norwegian krone", Decimal("64.00")),
        Currency("GBP", "Pound sterling", Decimal("870.00")),
        Currency("USD", "US dollar", Decimal("690.00")),
    )
    base_currency: str = "DKK"


@dataclass(frozen=True)
class _ReferenceKind:
    """A kind of entity that request bodies reference, e.g. `"vatZone": {"vatZoneNumber": 1}`."""

    name: str
    number_key: str
    collection: str
    integer_key: bool = True


_REFERENCE_KINDS: dict[str, _ReferenceKind] = {
    kind.name: kind
    for kind in (
        _ReferenceKind("customer", "customerNumber", "customers"),
        _ReferenceKind("product", "productNumber", "products", integer_key=False),
        _ReferenceKind("draftInvoice", "draftInvoiceNumber", "invoices/drafts"),
        _ReferenceKind("bookedInvoice", "bookedInvoiceNumber", "invoices/booked"),
        _ReferenceKind("draftOrder", "orderNumber", "orders/drafts"),
        _ReferenceKind("layout", "layoutNumber", "layouts"),
        _ReferenceKind("paymentTerms", "paymentTermsNumber", "payment-terms"),
        _ReferenceKind("vatZone", "vatZoneNumber", "vat-zones"),
        _ReferenceKind("customerGroup", "customerGroupNumber", "customer-groups"),
        _ReferenceKind("productGroup", "productGroupNumber", "product-groups"),
        _ReferenceKind("unit", "unitNumber", "units"),
    )
}

# References checked for existence on each write, as dotted property paths. "[]" matches every array element.
_CUSTOMER_REFERENCES = ("customerGroup", "paymentTerms", "vatZone", "layout")
_PRODUCT_REFERENCES = ("productGroup", "unit")
_INVOICE_REFERENCES = (
    "customer",
    "layout",
    "paymentTerms",
    "recipient.vatZone",
    "lines.[].product",
    "lines.[].unit",
)
# Draft orders reference the same entities as draft invoices.
_ORDER_REFERENCES = _INVOICE_REFERENCES


def _render_reference_data(data: ReferenceData) -> dict[str, dict[Any, dict[str, Any]]]:
    """Build the documents GET /vat-zones and its siblings return, keyed by kind and number."""
    return {
        "vatZone": {
            zone.number: {
                "vatZoneNumber": zone.number,
                "name": zone.name,
                "enabledForCustomer": True,
                "enabledForSupplier": True,
            }
            for zone in data.vat_zones
        },
        "paymentTerms": {
            terms.number: {
                "paymentTermsNumber": terms.number,
                "daysOfCredit": terms.days_of_credit,
                "name": terms.name,
                "paymentTermsType": terms.payment_terms_type,
            }
            for terms in data.payment_terms
        },
        "layout": {
            layout.number: {"layoutNumber": layout.number, "name": layout.name} for layout in data.layouts
        },
        "customerGroup": {
            group.number: {"customerGroupNumber": group.number, "name": group.name}
            for group in data.customer_groups
        },
        "productGroup": {
            group.number: {"productGroupNumber": group.number, "name": group.name}
            for group in data.product_groups
        },
        "unit": {unit.number: {"unitNumber": unit.number, "name": unit.name} for unit in data.units},
        "currency": {
            currency.code: {"code": currency.code, "name": currency.name} for currency in data.currencies
        },
    }


# Reference collections served read-only: URL path, kind, and the property to sort by by default.
_REFERENCE_COLLECTIONS = (
    ("layouts", "layout", "layoutNumber"),
    ("payment-terms", "paymentTerms", "paymentTermsNumber"),
    ("vat-zones", "vatZone", "vatZoneNumber"),
    ("customer-groups", "customerGroup", "customerGroupNumber"),
    ("product-groups", "productGroup", "productGroupNumber"),
    ("units", "unit", "unitNumber"),
    ("currencies", "currency", "code"),
)


# =============================================================================================
# Self-link encoding of identifiers
# =============================================================================================

_SELF_LINK_REPLACEMENTS = {
    "<": "_0_",
    ">": "_1_",
    "*": "_2_",
    "%": "_3_",
    ":": "_4_",
    "&": "_5_",
    "/": "_6_",
    "\\": "_7_",
    "_": "_8_",
    " ": "_9_",
    "?": "_10_",
    ".": "_11_",
    "#": "_12_",
    "+": "_13_",
}
_SELF_LINK_ORIGINALS = {replacement: character for character, replacement in _SELF_LINK_REPLACEMENTS.items()}
_SELF_LINK_TOKEN = re.compile(r"_(?:1[0-3]|[0-9])_")


def encode_self_link_id(identifier: str) -> str:
    """Encode an identifier for a URL path the way e-conomic's self links do ("A/B_1" -> "A_6_B_8_1").

    The characters < > * % : & / \\ _ space ? . # + become _0_ to _13_, and every other
    character that is not URL-safe is percent-encoded.
    """
    return "".join(
        _SELF_LINK_REPLACEMENTS.get(character) or quote(character, safe="") for character in identifier
    )


def decode_self_link_id(segment: str) -> str:
    """Decode a path segment made by `encode_self_link_id`. Percent-decode the segment first."""
    return _SELF_LINK_TOKEN.sub(lambda match: _SELF_LINK_ORIGINALS[match.group(0)], segment)


# =============================================================================================
# Errors
# =============================================================================================

_Path = tuple[str | int, ...]
_Key = TypeVar("_Key")
_NO_VALUE = object()


class _AnnotatedErrors:
    """Validation errors arranged like the request body, as e-conomic returns them.

    Each failing property becomes {"errors": [...]}. A failing array element becomes an object
    with `arrayIndex` and its failing properties, so a bad price on the first line ends up at
    errors.lines[0].unitNetPrice.errors[0].
    """

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, path: _Path, code: str, message: str, hint: str, value: Any = _NO_VALUE) -> None:
        error: dict[str, Any] = {"errorCode": code, "message": message}
        if value is not _NO_VALUE and not isinstance(value, dict | list):
            error["value"] = value
        error["developerHint"] = hint

        node: Any = self.tree
        for position, segment in enumerate(path):
            following = path[position + 1] if position + 1 < len(path) else None
            if isinstance(segment, int):
                node = self._array_element(node, segment)
            else:
                node = node.setdefault(segment, [] if isinstance(following, int) else {})
        node.setdefault("errors", []).append(error)
        self.count += 1

    @staticmethod
    def _array_element(elements: list[dict[str, Any]], index: int) -> dict[str, Any]:
        for element in elements:
            if element["arrayIndex"] == index:
                return element
        element = {"arrayIndex": index}
        elements.append(element)
        elements.sort(key=lambda item: item["arrayIndex"])
        return element


class _ApiError(Exception):
    """A request the sandbox rejects. `response()` shapes it like an e-conomic error."""

    def __init__(
        self,
        status: int,
        message: str,
        developer_hint: str,
        errors: _AnnotatedErrors | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.developer_hint = developer_hint
        self.errors = errors
        self.headers = headers or {}

    @classmethod
    def validation(cls, errors: _AnnotatedErrors) -> _ApiError:
        return cls(400, "Validation error.", _VALIDATION_HINT, errors)

    def response(self) -> HttpResponse:
        body = _error_body(self.status, self.message, self.developer_hint)
        if self.errors is not None:
            body["errors"] = self.errors.tree
        return HttpResponse(self.status, body, dict(self.headers))


def _error_body(status: int, message: str, developer_hint: str) -> dict[str, Any]:
    return {
        "message": message,
        "developerHint": developer_hint,
        "logId": str(uuid.uuid4()),
        "httpStatusCode": status,
        "logTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }


# =============================================================================================
# Contract: schemas and filterable properties
# =============================================================================================


def _is_integer(checker: Any, instance: object) -> bool:
    """Treat 3 and 3.0 as integers, as JSON Schema 2020-12 does, also when 3.0 arrives as Decimal."""
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return isinstance(instance, float) and instance.is_integer()


_ContractValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@dataclass(frozen=True)
class _Collection:
    """Filterable and sortable properties of a GET collection, and the type of each filterable one."""

    filterable: frozenset[str] = frozenset()
    sortable: frozenset[str] = frozenset()
    field_kinds: Mapping[str, str] = field(default_factory=dict)


class _Contract:
    """The copied e-conomic contract: write schemas, read schemas and filterable.json."""

    def __init__(self, directory: Path) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, Any] = {}
        for path in sorted((directory / "schemas").glob("*.schema.json")):
            name = path.name.removesuffix(".schema.json")
            schema = json.loads(path.read_text(encoding="utf-8"))
            self.schemas[name] = schema
            # NOTE: "date" is checked, "uri" is not: jsonschema checks uri only with rfc3987 installed.
            self._validators[name] = _ContractValidator(
                schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )

        listing = json.loads((directory / "filterable.json").read_text(encoding="utf-8"))
        self.collections: dict[str, _Collection] = {}
        for key, entry in listing.items():
            if not key.startswith("GET /"):
                continue
            schema_name = entry["schema"].removesuffix(".schema.json")
            filterable = frozenset(entry["filterable"])
            kinds = {name: _field_kind(self.schemas.get(schema_name, {}), name) for name in filterable}
            self.collections[key.removeprefix("GET ")] = _Collection(
                filterable, frozenset(entry.get("sortable", ())), kinds
            )

    def validator(self, name: str) -> Any:
        return self._validators[name]


def _field_kind(schema: Mapping[str, Any], dotted: str) -> str:
    """Return "number", "boolean" or "string" for a dotted property path of a read schema."""
    node: Mapping[str, Any] = schema
    for name in dotted.split("."):
        node = node.get("properties", {}).get(name, {})
    declared = node.get("type")
    if declared in ("number", "integer"):
        return "number"
    if declared == "boolean":
        return "boolean"
    return "string"


# =============================================================================================
# Request body validation
# =============================================================================================


def _check_nulls(value: Any, path: _Path, errors: _AnnotatedErrors) -> None:
    children: Iterable[tuple[str | int, Any]] = ()
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)

    for key, child in children:
        if child is None:
            errors.add(
                (*path, key),
                SCHEMA_VIOLATION,
                f"{key} cannot be null.",
                "Leave the property out instead of sending null.",
            )
        else:
            _check_nulls(child, (*path, key), errors)


def _check_schema(validator: Any, body: dict[str, Any], errors: _AnnotatedErrors) -> None:
    reported_missing: set[tuple[_Path, str]] = set()
    failures: Iterable[ValidationError] = validator.iter_errors(body)
    for failure in failures:
        path: _Path = tuple(failure.absolute_path)

        if failure.validator == "required":
            # jsonschema reports each missing name separately but gives the name only in prose.
            for name in failure.validator_value:
                if name not in failure.instance and (path, name) not in reported_missing:
                    reported_missing.add((path, name))
                    errors.add((*path, name), SCHEMA_VIOLATION, f"{name} is required.", _VALIDATION_HINT)
            continue

        if failure.instance is None:
            continue  # already reported by _check_nulls
        errors.add(
            path, SCHEMA_VIOLATION, _describe_failure(failure, path), _VALIDATION_HINT, failure.instance
        )


def _describe_failure(failure: ValidationError, path: _Path) -> str:
    name = next((segment for segment in reversed(path) if isinstance(segment, str)), "The request body")
    limit = failure.validator_value
    match failure.validator:
        case "type":
            return f"{name} must be of type {limit}."
        case "maxLength":
            return f"{name} must be at most {limit} characters long."
        case "minLength":
            return f"{name} must be at least {limit} characters long."
        case "maximum":
            return f"{name} must be at most {limit}."
        case "minimum":
            return f"{name} must be at least {limit}."
        case "enum":
            return f"{name} must be one of: {', '.join(str(option) for option in limit)}."
        case "format" if limit == "date":
            return f"{name} must be a valid date (YYYY-MM-DD)."
        case _:
            return f"{name} is invalid: {failure.message}"


def _check_identifiers(value: Any, schema: Mapping[str, Any], path: _Path, errors: _AnnotatedErrors) -> None:
    """Report each referenced object that has neither its number nor self (E04500).

    A referenced object is a nested object whose schema lists `self` and a `...Number` property.
    """
    if isinstance(value, list):
        item_schema = schema.get("items", {})
        for index, item in enumerate(value):
            _check_identifiers(item, item_schema, (*path, index), errors)
        return
    if not isinstance(value, dict):
        return

    properties: Mapping[str, Any] = schema.get("properties", {})
    identifiers = [name for name in properties if name == "self" or name.endswith("Number")]
    is_reference = bool(path) and "self" in properties and len(identifiers) > 1
    if is_reference and not any(value.get(name) is not None for name in identifiers):
        name = next(segment for segment in reversed(path) if isinstance(segment, str))
        errors.add(
            path,
            MISSING_IDENTIFIER,
            f"No identifier on {name}: include {' or '.join(identifiers)}.",
            "Reference an entity by its number or by its self link.",
        )

    for name, child_schema in properties.items():
        if name in value:
            _check_identifiers(value[name], child_schema, (*path, name), errors)


def _check_lines(body: Mapping[str, Any], errors: _AnnotatedErrors) -> None:
    """Apply the invoice line rules E04730 (quantity with product) and E04740 (price scale)."""
    lines = body.get("lines")
    if not isinstance(lines, list):
        return

    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        # NOTE: the docs' example reports E04730 at the invoice level; the sandbox reports it on the
        # line, next to the product that needs the quantity.
        if line.get("product") is not None and "quantity" not in line:
            errors.add(
                ("lines", index, "quantity"),
                QUANTITY_REQUIRED,
                "quantity must have a value when product is set.",
                "Send a quantity on every line that has a product.",
            )

        price = line.get("unitNetPrice")
        if (
            isinstance(price, int | Decimal)
            and not isinstance(price, bool)
            and _decimal_places(Decimal(price)) > 2
        ):
            errors.add(
                ("lines", index, "unitNetPrice"),
                UNIT_NET_PRICE_SCALE,
                "unitNetPrice cannot have more than two decimal places.",
                "Round unitNetPrice to two decimals before sending it.",
                price,
            )


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _prune(value: Any, schema: Mapping[str, Any]) -> Any:
    """Keep what the schema defines and the server stores.

    Drops unknown and read-only properties and false booleans (e-conomic omits them), and turns
    integral Decimals into ints where the schema expects an integer.
    """
    if isinstance(value, dict) and "properties" in schema:
        pruned: dict[str, Any] = {}
        for name, item in value.items():
            item_schema = schema["properties"].get(name)
            if item_schema is None or item_schema.get("readOnly") or item is False:
                continue
            pruned[name] = _prune(item, item_schema)
        return pruned
    if isinstance(value, list) and "items" in schema:
        return [_prune(item, schema["items"]) for item in value]
    if schema.get("type") == "integer" and isinstance(value, Decimal):
        return int(value)
    return value


def _iter_path(document: Any, pattern: str, path: _Path = ()) -> Iterator[tuple[_Path, Any]]:
    """Yield (path, value) for each value at a dotted pattern; "[]" matches every array element."""
    head, _, rest = pattern.partition(".")
    if head == "[]":
        if isinstance(document, list):
            for index, item in enumerate(document):
                yield from _iter_path(item, rest, (*path, index))
        return
    if not isinstance(document, dict) or head not in document:
        return
    if rest:
        yield from _iter_path(document[head], rest, (*path, head))
    else:
        yield (*path, head), document[head]


# =============================================================================================
# Filters
# =============================================================================================


class FilterError(ValueError):
    """A `filter` or `sort` query parameter is invalid or uses a property that does not allow it."""


_NULL = object()
_COMPARISONS = ("$eq:", "$ne:", "$gt:", "$gte:", "$lt:", "$lte:", "$like:", "$in:", "$nin:")
_ESCAPABLE = "$()*,[]"


@dataclass(frozen=True)
class _Predicate:
    field: str
    operator: str
    kind: str
    literal: Any = None
    like_pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Junction:
    operator: str
    operands: tuple[_Predicate | _Junction, ...]


@dataclass(frozen=True)
class _RawValue:
    """A filter value as written: literal text split at each unescaped * wildcard."""

    pieces: tuple[str, ...]
    is_null: bool = False

    @property
    def text(self) -> str:
        return "*".join(self.pieces)


class _FilterParser:
    """Parse e-conomic's filter syntax, e.g. `name$like:*port$and:(city$eq:Vejle$or:zip$eq:7100)`.

    The docs give no precedence between $and: and $or:, so $and: binds tighter, as in most
    query languages. Parentheses group. Inside values, $$ $( $) $* $, $[ $] stand for the
    character after the $, and the value $null: matches a missing property.
    """

    def __init__(self, text: str, collection: _Collection) -> None:
        self.text = text
        self.position = 0
        self.collection = collection

    def parse(self) -> _Predicate | _Junction:
        node = self._parse_or()
        if self.position != len(self.text):
            raise FilterError(f"unexpected {self.text[self.position]!r} at position {self.position}")
        return node

    def _consume(self, token: str) -> bool:
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def _parse_or(self) -> _Predicate | _Junction:
        operands = [self._parse_and()]
        while self._consume("$or:"):
            operands.append(self._parse_and())
        return operands[0] if len(operands) == 1 else _Junction("or", tuple(operands))

    def _parse_and(self) -> _Predicate | _Junction:
        operands = [self._parse_term()]
        while self._consume("$and:"):
            operands.append(self._parse_term())
        return operands[0] if len(operands) == 1 else _Junction("and", tuple(operands))

    def _parse_term(self) -> _Predicate | _Junction:
        if self._consume("("):
            node = self._parse_or()
            if not self._consume(")"):
                raise FilterError(f"missing ) at position {self.position}")
            return node
        return self._parse_predicate()

    def _parse_predicate(self) -> _Predicate:
        start = self.position
        while self.position < len(self.text) and self.text[self.position] not in "$()":
            self.position += 1
        name = self.text[start : self.position]
        if not name:
            raise FilterError(f"expected a property name at position {start}")

        operator = next((token for token in _COMPARISONS if self._consume(token)), None)
        if operator is None:
            raise FilterError(f"expected an operator such as $eq: after {name!r}")
        if name not in self.collection.filterable:
            allowed = ", ".join(sorted(self.collection.filterable)) or "none"
            raise FilterError(
                f"{name} is not filterable on this collection. Filterable properties: {allowed}"
            )

        kind = self.collection.field_kinds.get(name, "string")
        if operator in ("$in:", "$nin:"):
            return self._build_list_predicate(name, operator, kind, self._parse_list())
        return _build_predicate(name, operator, kind, self._parse_value(in_list=False))

    def _parse_list(self) -> list[_RawValue]:
        if not self._consume("["):
            raise FilterError("$in: and $nin: take a list in brackets, e.g. customerNumber$in:[1,2,3]")
        items: list[_RawValue] = []
        while True:
            items.append(self._parse_value(in_list=True))
            if self._consume(","):
                continue
            if self._consume("]"):
                return items
            raise FilterError(f"expected , or ] at position {self.position}")

    def _parse_value(self, *, in_list: bool) -> _RawValue:
        if self._consume("$null:"):
            return _RawValue((), is_null=True)

        pieces = [""]
        while self.position < len(self.text):
            character = self.text[self.position]
            if character == "$":
                if self.text.startswith(("$and:", "$or:"), self.position):
                    break
                escaped = self.text[self.position + 1 : self.position + 2]
                if not escaped or escaped not in _ESCAPABLE:
                    raise FilterError(f"invalid escape sequence at position {self.position}; write $ as $$")
                pieces[-1] += escaped
                self.position += 2
                continue
            if character == ")" or (in_list and character in ",]"):
                break
            if character == "(":
                raise FilterError(f"unescaped ( at position {self.position}; write it as $(")
            if character == "*":
                pieces.append("")
            else:
                pieces[-1] += character
            self.position += 1
        return _RawValue(tuple(pieces))

    @staticmethod
    def _build_list_predicate(name: str, operator: str, kind: str, items: list[_RawValue]) -> _Predicate:
        if kind != "number":
            raise FilterError(f"{operator} works on numeric properties only, and {name} is not numeric")
        if len(items) > MAX_IN_VALUES:
            raise FilterError(f"{operator} takes at most {MAX_IN_VALUES} values, got {len(items)}")
        values = tuple(_NULL if item.is_null else _coerce_literal(item.text, kind, name) for item in items)
        return _Predicate(name, operator, kind, values)


def _build_predicate(name: str, operator: str, kind: str, value: _RawValue) -> _Predicate:
    if value.is_null:
        if operator not in ("$eq:", "$ne:"):
            raise FilterError(f"$null: works with $eq:, $ne:, $in: and $nin:, not with {operator}")
        return _Predicate(name, operator, kind, _NULL)

    if operator == "$like:":
        pieces = [re.escape(piece.casefold()) for piece in value.pieces]
        pattern = ".*".join(pieces) if len(pieces) > 1 else f".*{pieces[0]}.*"
        return _Predicate(name, operator, kind, like_pattern=re.compile(pattern, re.DOTALL))

    if kind == "boolean" and operator not in ("$eq:", "$ne:"):
        raise FilterError(f"{name} is a boolean, so only $eq: and $ne: apply")
    return _Predicate(name, operator, kind, _coerce_literal(value.text, kind, name))


def _coerce_literal(text: str, kind: str, name: str) -> Any:
    if kind == "number":
        try:
            return Decimal(text)
        except InvalidOperation:
            raise FilterError(f"{name} is numeric, but the filter value {text!r} is not a number") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise FilterError(f"{name} is a boolean, but the filter value {text!r} is neither true nor false")
        return text.lower() == "true"
    return text.casefold()


def _lookup(document: Mapping[str, Any], dotted: str) -> Any:
    node: Any = document
    for name in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(name)
    return node


def _comparable(value: Any, kind: str) -> Any:
    """Return a document value in the form filter literals of `kind` take, or None when it has none."""
    if value is None or isinstance(value, dict | list):
        return None
    if kind == "number":
        if isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return str(value).casefold()


def _matches(node: _Predicate | _Junction, document: Mapping[str, Any]) -> bool:
    if isinstance(node, _Junction):
        results = (_matches(operand, document) for operand in node.operands)
        return all(results) if node.operator == "and" else any(results)

    # Missing properties count as false; boolean properties go missing whenever they are false.
    raw = _lookup(document, node.field)
    if raw is None and node.kind == "boolean":
        raw = False
    actual = _comparable(raw, node.kind)

    if node.operator in ("$in:", "$nin:"):
        found = any((actual is None) if item is _NULL else (actual == item) for item in node.literal)
        return found if node.operator == "$in:" else not found
    if node.literal is _NULL:
        return (actual is None) if node.operator == "$eq:" else (actual is not None)
    if node.operator == "$ne:":
        return actual is None or actual != node.literal
    if actual is None:
        return False
    if node.like_pattern is not None:
        return node.like_pattern.fullmatch(str(raw).casefold()) is not None

    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "$eq:": lambda left, right: bool(left == right),
        "$gt:": lambda left, right: bool(left > right),
        "$gte:": lambda left, right: bool(left >= right),
        "$lt:": lambda left, right: bool(left < right),
        "$lte:": lambda left, right: bool(left <= right),
    }
    return comparisons[node.operator](actual, node.literal)


class _Documents(dict[_Key, dict[str, Any]]):
    """A collection's stored documents by key, with an index on some filterable properties.

    A filter with `$eq:` on an indexed property takes its candidates from the index instead
    of scanning every document, and `_matches` still decides on each candidate, so the
    result is the same as a scan. The index is kept on assignment and removal, so a stored
    document must be replaced, never changed in place. Methods that would bypass the index
    raise NotImplementedError.
    """

    def __init__(self, indexed_kinds: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._indexes: dict[str, tuple[str, dict[Any, set[Any]]]] = {
            name: (kind, {}) for name, kind in (indexed_kinds or {}).items() if kind != "boolean"
        }
        self._positions: dict[Any, int] = {}
        self._next_position = 0

    def __setitem__(self, key: Any, document: dict[str, Any]) -> None:
        if key in self:
            self._unindex(key, self[key])
        else:
            self._positions[key] = self._next_position
            self._next_position += 1
        super().__setitem__(key, document)
        for name, (kind, index) in self._indexes.items():
            value = _comparable(_lookup(document, name), kind)
            if value is not None:
                index.setdefault(value, set()).add(key)

    def __delitem__(self, key: Any) -> None:
        self._unindex(key, self[key])
        del self._positions[key]
        super().__delitem__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        document = self[key]
        del self[key]
        return document

    def _unindex(self, key: Any, document: dict[str, Any]) -> None:
        for name, (kind, index) in self._indexes.items():
            value = _comparable(_lookup(document, name), kind)
            keys = index.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[value]

    def copy_documents(self) -> _Documents[_Key]:
        """Return a copy with its own index, for a snapshot of the sandbox's state."""
        copied: _Documents[_Key] = _Documents()
        copied._indexes = {name: (kind, {}) for name, (kind, _index) in self._indexes.items()}
        for key in sorted(self, key=self._positions.__getitem__):
            copied[key] = self[key]
        return copied

    def _unsupported(self, *arguments: Any, **keywords: Any) -> Any:
        raise NotImplementedError("assign or pop single documents, so the index stays true")

    update = setdefault = popitem = clear = __ior__ = _unsupported

    def candidates(self, condition: _Predicate | _Junction) -> list[dict[str, Any]] | None:
        """Return the documents that may match `condition`, in stored order.

        Returns None when no index narrows the condition, so only a scan can tell.
        """
        keys = self._candidate_keys(condition)
        if keys is None:
            return None
        return [self[key] for key in sorted(keys, key=self._positions.__getitem__)]

    def _candidate_keys(self, condition: _Predicate | _Junction) -> set[Any] | None:
        if isinstance(condition, _Predicate):
            indexed = self._indexes.get(condition.field)
            if indexed is None or condition.operator != "$eq:" or condition.literal is _NULL:
                return None
            return set(indexed[1].get(condition.literal, ()))
        operands = [self._candidate_keys(operand) for operand in condition.operands]
        if condition.operator == "or":
            if any(keys is None for keys in operands):
                return None
            return set().union(*(keys for keys in operands if keys is not None))
        narrowed = [keys for keys in operands if keys is not None]
        return set.intersection(*narrowed) if narrowed else None


def _sort_documents(
    documents: list[dict[str, Any]], sort_text: str | None, collection: _Collection, default_field: str
) -> list[dict[str, Any]]:
    """Sort by `sort` (e.g. "-name,customerNumber", "~" for alphabetic order of numbers)."""
    keys: list[tuple[str, bool, bool]] = [(default_field, False, False)]
    if sort_text:
        keys = []
        for item in sort_text.split(","):
            name = item.lstrip("-~")
            prefix = item[: len(item) - len(name)]
            if name not in collection.sortable:
                allowed = ", ".join(sorted(collection.sortable)) or "none"
                raise FilterError(
                    f"{name} is not sortable on this collection. Sortable properties: {allowed}"
                )
            keys.append((name, "-" in prefix, "~" in prefix))

    result = list(documents)
    for name, descending, alphabetic in reversed(keys):
        kind = "string" if alphabetic else collection.field_kinds.get(name, _kind_of_values(result, name))
        result.sort(key=lambda document: _sort_key(_lookup(document, name), kind), reverse=descending)
    return result


def _kind_of_values(documents: list[dict[str, Any]], name: str) -> str:
    values = [_lookup(document, name) for document in documents]
    return "number" if values and all(_is_number(value) for value in values) else "string"


def _sort_key(value: Any, kind: str) -> tuple[int, Any]:
    comparable = _comparable(value, kind)
    return (0, "") if comparable is None else (1, comparable)


# =============================================================================================
# Money
# =============================================================================================


def _round_money(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def _due_date(invoice_date: dt.date, terms: Mapping[str, Any], requested_due_date: str | None) -> dt.date:
    """Compute the due date from the payment terms type.

    NOTE: invoice-week and other rare types are treated like net terms.
    """
    days = dt.timedelta(days=int(terms.get("daysOfCredit", 0)))
    terms_type = terms.get("paymentTermsType")
    if terms_type == "dueDate" and requested_due_date:
        return dt.date.fromisoformat(requested_due_date)
    if terms_type == "invoiceMonth":
        last_day = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
        return invoice_date.replace(day=last_day) + days
    return invoice_date + days


# =============================================================================================
# The sandbox
# =============================================================================================

_Handler = Callable[[HttpRequest, list[str]], HttpResponse]

# Properties that connectors look documents up by with `$eq:`, indexed so that a lookup
# costs the same with 10 or 10,000 documents stored.
_INDEXED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "/customers": ("email", "corporateIdentificationNumber", "ean", "telephoneAndFaxNumber"),
    "/products": ("productNumber",),
    "/invoices/drafts": ("references.other",),
    "/invoices/booked": ("references.other",),
    "/orders/drafts": ("references.other",),
}


class EconomicSandbox(LoopbackJsonServer):
    """A loopback e-conomic agreement: start it, point a connector at `start()`'s URL, inspect state.

    Every request needs the X-AppSecretToken and X-AgreementGrantToken headers with the tokens
    given here. State (customers, products, draft and booked invoices, draft orders) lives in
    memory until the sandbox is discarded; the reference data starts as `ReferenceData()` unless
    given.
    """

    def __init__(
        self,
        app_secret_token: str,
        agreement_grant_token: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        reference_data: ReferenceData | None = None,
        slow_seconds: float = 5.0,
        contract_dir: Path | None = None,
    ) -> None:
        super().__init__(host, port, slow_seconds)
        self._app_secret_token = app_secret_token
        self._agreement_grant_token = agreement_grant_token
        self._contract = _Contract(contract_dir or DEFAULT_CONTRACT_DIR)

        self._reference_data = reference_data or ReferenceData()
        self._reference = _render_reference_data(self._reference_data)
        self._customers: _Documents[int] = self._documents("/customers")
        self._products: _Documents[str] = self._documents("/products")
        self._drafts: _Documents[int] = self._documents("/invoices/drafts")
        self._booked: _Documents[int] = self._documents("/invoices/booked")
        self._draft_orders: _Documents[int] = self._documents("/orders/drafts")
        self._next_draft_number = 1
        self._next_order_number = 1

        self._routes: list[tuple[tuple[str, ...], dict[str, _Handler]]] = [
            (("customers",), {"GET": self._list_customers, "POST": self._post_customer}),
            (("customers", "*"), {"GET": self._get_customer, "PUT": self._put_customer}),
            (("products",), {"GET": self._list_products, "POST": self._post_product}),
            (("products", "*"), {"GET": self._get_product, "PUT": self._put_product}),
            (("invoices", "drafts"), {"GET": self._list_drafts, "POST": self._post_draft}),
            (
                ("invoices", "drafts", "*"),
                {"GET": self._get_draft, "PUT": self._put_draft, "DELETE": self._delete_draft},
            ),
            (("invoices", "booked"), {"GET": self._list_booked, "POST": self._post_booked}),
            (("invoices", "booked", "*"), {"GET": self._get_booked, "PUT": self._put_booked}),
            (("orders", "drafts"), {"GET": self._list_draft_orders, "POST": self._post_draft_order}),
            (
                ("orders", "drafts", "*"),
                {
                    "GET": self._get_draft_order,
                    "PUT": self._put_draft_order,
                    "DELETE": self._delete_draft_order,
                },
            ),
        ]
        for collection, kind, default_sort in _REFERENCE_COLLECTIONS:
            self._routes.append(
                ((collection,), {"GET": self._reference_lister(collection, kind, default_sort)})
            )
            self._routes.append(((collection, "*"), {"GET": self._reference_getter(kind)}))

    def _documents(self, collection_path: str) -> _Documents[Any]:
        collection = self._contract.collections.get(collection_path, _Collection())
        indexed = _INDEXED_PROPERTIES.get(collection_path, ())
        return _Documents({name: collection.field_kinds.get(name, "string") for name in indexed})

    # -- seeding and inspection -----------------------------------------------------------------

    def seed(
        self,
        *,
        reference_data: ReferenceData | None = None,
        customers: Iterable[Mapping[str, Any]] = (),
        products: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Replace the reference data and add customers and products that already exist.

        Customers and products are validated like POST bodies. Raises ValueError with the
        annotated errors when one is rejected.
        """
        with self._state_lock:
            if reference_data is not None:
                self._reference_data = reference_data
                self._reference = _render_reference_data(reference_data)
            for collection, bodies, create in (
                ("customer", customers, self._create_customer),
                ("product", products, self._create_product),
            ):
                for body in bodies:
                    try:
                        create(loads_json(dumps_json(body)))
                    except _ApiError as error:
                        tree = error.errors.tree if error.errors else error.message
                        raise ValueError(f"seed {collection} rejected: {tree}") from None

    def replace_product(self, body: Mapping[str, Any]) -> None:
        """Replace an existing product as a PUT would, e.g. to change its price in a test.

        Raises ValueError with the annotated errors when the body is rejected or the product is unknown.
        """
        with self._state_lock:
            number = str(body.get("productNumber", ""))
            if number not in self._products:
                raise ValueError(f"product {number!r} does not exist")
            document = loads_json(dumps_json(body))
            try:
                validated = self._validate(document, "products.productNumber.put", _PRODUCT_REFERENCES)
            except _ApiError as error:
                tree = error.errors.tree if error.errors else error.message
                raise ValueError(f"product {number} rejected: {tree}") from None
            self._normalise_references(validated, _PRODUCT_REFERENCES)
            validated["lastUpdated"] = _now_timestamp()
            self._products[number] = validated

    def delete_product(self, product_number: str) -> None:
        """Delete a product, as a user of e-conomic may. Raises KeyError when it does not exist."""
        with self._state_lock:
            del self._products[product_number]

    @property
    def reference_data(self) -> ReferenceData:
        """The reference data the sandbox serves."""
        return self._reference_data

    @property
    def customers(self) -> dict[int, dict[str, Any]]:
        """Copies of the customers as GET returns them, keyed by customerNumber."""
        with self._state_lock:
            return {number: self._render_customer(doc) for number, doc in self._customers.items()}

    @property
    def products(self) -> dict[str, dict[str, Any]]:
        """Copies of the products as GET returns them, keyed by productNumber."""
        with self._state_lock:
            return {number: self._render_product(doc) for number, doc in self._products.items()}

    @property
    def draft_invoices(self) -> dict[int, dict[str, Any]]:
        """Copies of the draft invoices as GET returns them, keyed by draftInvoiceNumber."""
        with self._state_lock:
            return {number: self._render_draft(doc) for number, doc in self._drafts.items()}

    @property
    def booked_invoices(self) -> dict[int, dict[str, Any]]:
        """Copies of the booked invoices as GET returns them, keyed by bookedInvoiceNumber."""
        with self._state_lock:
            return {number: self._render_booked(doc) for number, doc in self._booked.items()}

    @property
    def draft_orders(self) -> dict[int, dict[str, Any]]:
        """Copies of the draft orders as GET returns them, keyed by orderNumber."""
        with self._state_lock:
            return {number: self._render_draft_order(doc) for number, doc in self._draft_orders.items()}

    # -- request handling -----------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> Any:
        return _error_body(status, message, "Retry the request with backoff.")

    def snapshot_state(self) -> Any:
        # Handlers replace stored documents rather than change them, so shallow copies suffice.
        return (
            self._customers.copy_documents(),
            self._products.copy_documents(),
            self._drafts.copy_documents(),
            self._booked.copy_documents(),
            self._next_draft_number,
        )

    def restore_state(self, snapshot: Any) -> None:
        customers, products, drafts, booked, next_draft_number = snapshot
        self._customers, self._products = customers.copy_documents(), products.copy_documents()
        self._drafts, self._booked = drafts.copy_documents(), booked.copy_documents()
        self._next_draft_number = next_draft_number

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            self._authenticate(request)
            handlers, parameters = self._route(request)
            if request.method in ("POST", "PUT") and request.headers.get_content_type() != "application/json":
                raise _ApiError(
                    415,
                    "The request body must be JSON.",
                    "Send the header Content-Type: application/json.",
                )
            return handlers[request.method](request, parameters)
        except _ApiError as error:
            return error.response()

    def _authenticate(self, request: HttpRequest) -> None:
        app_secret = request.headers.get("X-AppSecretToken") or ""
        grant = request.headers.get("X-AgreementGrantToken") or ""
        app_secret_valid = hmac.compare_digest(app_secret.encode(), self._app_secret_token.encode())
        grant_valid = hmac.compare_digest(grant.encode(), self._agreement_grant_token.encode())
        if not (app_secret_valid and grant_valid):
            raise _ApiError(
                401,
                "The app secret token or the agreement grant token is missing or invalid.",
                "Send X-AppSecretToken with the app's secret token and X-AgreementGrantToken"
                " with the agreement's grant token.",
            )

    def _route(self, request: HttpRequest) -> tuple[dict[str, _Handler], list[str]]:
        segments = request.segments
        for pattern, handlers in self._routes:
            if len(pattern) != len(segments):
                continue
            if any(part not in ("*", segment) for part, segment in zip(pattern, segments, strict=True)):
                continue
            if request.method not in handlers:
                allowed = ", ".join(sorted(handlers))
                raise _ApiError(
                    405,
                    f"{request.method} is not allowed on {request.path}.",
                    f"Use one of: {allowed}.",
                    headers={"Allow": allowed},
                )
            parameters = [segment for part, segment in zip(pattern, segments, strict=True) if part == "*"]
            return handlers, parameters
        raise _ApiError(404, f"No resource at {request.path}.", "Follow the links the API returns.")

    def _links_base(self) -> str:
        return self._base_url or ""

    # -- shared steps of reads and writes -------------------------------------------------------

    def _parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = loads_json(request.body or b"null")
        except ValueError as error:
            raise _ApiError(400, f"The request body is not valid JSON: {error}", _VALIDATION_HINT) from None
        if not isinstance(body, dict):
            raise _ApiError(400, "The request body must be a JSON object.", _VALIDATION_HINT)
        return body

    def _validate(
        self,
        body: dict[str, Any],
        schema_name: str,
        references: Iterable[str],
        extra_rules: Callable[[dict[str, Any], _AnnotatedErrors], None] | None = None,
    ) -> dict[str, Any]:
        """Validate a write body and return what the server stores of it. Raises _ApiError on a violation."""
        schema = self._contract.schemas[schema_name]
        errors = _AnnotatedErrors()

        _check_nulls(body, (), errors)
        _check_schema(self._contract.validator(schema_name), body, errors)
        _check_identifiers(body, schema, (), errors)
        for pattern in references:
            for path, reference in _iter_path(body, pattern):
                self._check_reference_exists(path, reference, errors)
        if "currency" in schema.get("properties", {}) and isinstance(body.get("currency"), str):
            self._check_currency_exists(body["currency"], errors)
        if extra_rules is not None:
            extra_rules(body, errors)

        if errors:
            raise _ApiError.validation(errors)
        pruned: dict[str, Any] = _prune(body, schema)
        return pruned

    def _reference_key(self, kind: _ReferenceKind, reference: Mapping[str, Any]) -> Any:
        """Return the number a reference object names, from its number or its self link, or None."""
        number = reference.get(kind.number_key)
        if number is not None:
            if kind.integer_key:
                return number if _is_number(number) and number == int(number) else None
            return number if isinstance(number, str) else None

        link = reference.get("self")
        if not isinstance(link, str):
            return None
        segments = [unquote(segment) for segment in urlsplit(link).path.split("/") if segment]
        collection = kind.collection.split("/")
        if len(segments) <= len(collection) or segments[-len(collection) - 1 : -1] != collection:
            return None
        if not kind.integer_key:
            return decode_self_link_id(segments[-1])
        return int(segments[-1]) if segments[-1].isdigit() else None

    def _find(self, kind: _ReferenceKind, key: Any) -> dict[str, Any] | None:
        tables: dict[str, Mapping[Any, dict[str, Any]]] = {
            "customer": self._customers,
            "product": self._products,
            "draftInvoice": self._drafts,
            "bookedInvoice": self._booked,
            "draftOrder": self._draft_orders,
            **self._reference,
        }
        table = tables.get(kind.name, {})
        if kind.integer_key and key is not None:
            key = int(key)
        return table.get(key)

    def _check_reference_exists(self, path: _Path, reference: Any, errors: _AnnotatedErrors) -> None:
        name = next(segment for segment in reversed(path) if isinstance(segment, str))
        kind = _REFERENCE_KINDS[name]
        if not isinstance(reference, dict):
            return
        if reference.get(kind.number_key) is None and reference.get("self") is None:
            return  # reported as E04500

        key = self._reference_key(kind, reference)
        if key is None and reference.get(kind.number_key) is not None:
            return  # a number of the wrong type, reported by the schema check
        if key is None or self._find(kind, key) is None:
            sent_identifier = key if key is not None else reference.get("self")
            errors.add(
                path,
                ENTITY_NOT_FOUND,
                f"{name} {sent_identifier} does not exist.",
                f"Find a list of resources at {self._links_base()}/{kind.collection}.",
                sent_identifier,
            )

    def _check_currency_exists(self, code: str, errors: _AnnotatedErrors) -> None:
        if code not in self._reference["currency"]:
            errors.add(
                ("currency",),
                ENTITY_NOT_FOUND,
                f"currency {code} does not exist.",
                f"Find a list of currencies at {self._links_base()}/currencies.",
                code,
            )

    def _normalise_references(self, document: dict[str, Any], patterns: Iterable[str]) -> None:
        """Rewrite each checked reference as {number} so rendering can add the self link."""
        for pattern in patterns:
            for path, reference in list(_iter_path(document, pattern)):
                kind = _REFERENCE_KINDS[str(path[-1])]
                parent: Any = document
                for segment in path[:-1]:
                    parent = parent[segment]
                parent[path[-1]] = {kind.number_key: self._reference_key(kind, reference)}

    def _add_links(self, value: Any) -> None:
        """Add self links to every reference object in a document, in place."""
        if isinstance(value, list):
            for item in value:
                self._add_links(item)
            return
        if not isinstance(value, dict):
            return
        for name, item in value.items():
            self._add_links(item)
            kind = _REFERENCE_KINDS.get(name)
            if kind is not None and isinstance(item, dict) and item.get(kind.number_key) is not None:
                item["self"] = self._link(kind, item[kind.number_key])

    def _link(self, kind: _ReferenceKind, key: Any) -> str:
        identifier = str(key) if kind.integer_key else encode_self_link_id(str(key))
        return f"{self._links_base()}/{kind.collection}/{identifier}"

    def _render(self, document: Mapping[str, Any], kind_name: str, key: Any) -> dict[str, Any]:
        rendered = copy.deepcopy(dict(document))
        self._add_links(rendered)
        rendered["self"] = self._link(_REFERENCE_KINDS[kind_name], key)
        return rendered

    def _created(self, document: dict[str, Any]) -> HttpResponse:
        return HttpResponse(201, document, {"Location": document["self"]})

    # -- collections ----------------------------------------------------------------------------

    def _list(
        self,
        request: HttpRequest,
        collection_path: str,
        documents: Mapping[Any, dict[str, Any]],
        default_sort: str,
        render: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> HttpResponse:
        """Filter, sort and page stored documents, and render only the page.

        Rendering adds self links only, and no filterable or sortable property is a self
        link, so filtering the stored documents gives what filtering rendered ones would.
        """
        collection = self._contract.collections.get(collection_path, _Collection())
        skip_pages = _query_int(request, "skippages", default=0, minimum=0)
        page_size = _query_int(
            request, "pagesize", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE
        )

        try:
            matching = list(documents.values())
            filter_text = request.query_value("filter")
            if filter_text:
                condition = _FilterParser(filter_text, collection).parse()
                candidates = documents.candidates(condition) if isinstance(documents, _Documents) else None
                pool = matching if candidates is None else candidates
                matching = [document for document in pool if _matches(condition, document)]
            matching = _sort_documents(matching, request.query_value("sort"), collection, default_sort)
        except FilterError as error:
            raise _ApiError(
                400, str(error), "Filter and sort only on the properties the schema marks."
            ) from None

        last_page = max(0, (len(matching) - 1) // page_size)
        page = [
            render(document) for document in matching[skip_pages * page_size : (skip_pages + 1) * page_size]
        ]

        def link(skip: int) -> str:
            return self._collection_link(request, collection_path, skip, page_size)

        pagination: dict[str, Any] = {
            "maxPageSizeAllowed": MAX_PAGE_SIZE,
            "skipPages": skip_pages,
            "pageSize": page_size,
            "results": len(matching),
            "resultsWithoutFilter": len(documents),
            "firstPage": link(0),
        }
        if skip_pages > 0:
            pagination["previousPage"] = link(min(skip_pages - 1, last_page))
        if skip_pages < last_page:
            pagination["nextPage"] = link(skip_pages + 1)
        pagination["lastPage"] = link(last_page)

        body = {"collection": page, "pagination": pagination, "self": link(skip_pages)}
        return HttpResponse(200, body)

    def _collection_link(
        self, request: HttpRequest, collection_path: str, skip_pages: int, page_size: int
    ) -> str:
        parameters = [
            (name, value)
            for name, values in request.query.items()
            if name not in ("skippages", "pagesize")
            for value in values
        ]
        parameters += [("skippages", str(skip_pages)), ("pagesize", str(page_size))]
        return f"{self._links_base()}{collection_path}?{urlencode(parameters)}"

    def _reference_lister(self, collection: str, kind: str, default_sort: str) -> _Handler:
        def list_reference(request: HttpRequest, parameters: list[str]) -> HttpResponse:
            def render(document: Mapping[str, Any]) -> dict[str, Any]:
                return self._render_reference(kind, document[default_sort])

            return self._list(request, f"/{collection}", self._reference[kind], default_sort, render)

        return list_reference

    def _reference_getter(self, kind: str) -> _Handler:
        def get_reference(request: HttpRequest, parameters: list[str]) -> HttpResponse:
            key: Any = parameters[0]
            if kind != "currency":
                key = int(key) if key.isdigit() else None
            if key not in self._reference[kind]:
                raise _not_found(kind, parameters[0])
            return HttpResponse(200, self._render_reference(kind, key))

        return get_reference

    def _render_reference(self, kind: str, key: Any) -> dict[str, Any]:
        rendered = copy.deepcopy(self._reference[kind][key])
        collection = next(path for path, name, _ in _REFERENCE_COLLECTIONS if name == kind)
        rendered["self"] = f"{self._links_base()}/{collection}/{key}"
        return rendered

    # -- customers ------------------------------------------------------------------------------

    def _render_customer(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._render(document, "customer", document["customerNumber"])

    def _list_customers(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        return self._list(request, "/customers", self._customers, "customerNumber", self._render_customer)

    def _get_customer(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._customers:
            raise _not_found("customer", parameters[0])
        return HttpResponse(200, self._render_customer(self._customers[number]))

    def _post_customer(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        document = self._create_customer(self._parse_body(request))
        return self._created(self._render_customer(document))

    def _create_customer(self, body: dict[str, Any]) -> dict[str, Any]:
        def reject_duplicate(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            number = body.get("customerNumber")
            if isinstance(number, int) and number in self._customers:
                errors.add(
                    ("customerNumber",),
                    DUPLICATE_KEY,
                    f"Customer {number} already exists.",
                    "Leave customerNumber out to get the next free number, or update the customer with PUT.",
                    number,
                )

        document = self._validate(body, "customers.post", _CUSTOMER_REFERENCES, reject_duplicate)
        self._normalise_references(document, _CUSTOMER_REFERENCES)
        number = document.get("customerNumber") or max(self._customers, default=0) + 1
        document["customerNumber"] = number
        document["balance"] = Decimal("0.00")
        document["lastUpdated"] = _now_timestamp()
        self._customers[number] = document
        return document

    def _put_customer(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        # NOTE: the docs allow PUT to create an entity whose id the caller may choose. The sandbox
        # responds with 404 instead, so a connector that relies on it fails here first.
        if number is None or number not in self._customers:
            raise _not_found("customer", parameters[0])

        def match_path(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            _check_path_key(body, "customerNumber", number, errors)

        body = self._parse_body(request)
        document = self._validate(body, "customers.customerNo.put", _CUSTOMER_REFERENCES, match_path)
        self._normalise_references(document, _CUSTOMER_REFERENCES)
        document["customerNumber"] = number
        document["balance"] = self._customers[number].get("balance", Decimal("0.00"))
        document["lastUpdated"] = _now_timestamp()
        self._customers[number] = document
        return HttpResponse(200, self._render_customer(document))

    # -- products -------------------------------------------------------------------------------

    def _render_product(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._render(document, "product", document["productNumber"])

    def _list_products(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        return self._list(request, "/products", self._products, "productNumber", self._render_product)

    def _get_product(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = decode_self_link_id(parameters[0])
        if number not in self._products:
            raise _not_found("product", number)
        return HttpResponse(200, self._render_product(self._products[number]))

    def _post_product(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        document = self._create_product(self._parse_body(request))
        return self._created(self._render_product(document))

    def _create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        def reject_duplicate(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            number = body.get("productNumber")
            if isinstance(number, str) and number in self._products:
                errors.add(
                    ("productNumber",),
                    DUPLICATE_KEY,
                    f"Product {number} already exists.",
                    "Update the existing product with PUT instead.",
                    number,
                )

        document = self._validate(body, "products.post", _PRODUCT_REFERENCES, reject_duplicate)
        self._normalise_references(document, _PRODUCT_REFERENCES)
        document["lastUpdated"] = _now_timestamp()
        self._products[document["productNumber"]] = document
        return document

    def _put_product(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = decode_self_link_id(parameters[0])
        if number not in self._products:
            raise _not_found("product", number)

        def match_path(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            _check_path_key(body, "productNumber", number, errors)

        body = self._parse_body(request)
        document = self._validate(body, "products.productNumber.put", _PRODUCT_REFERENCES, match_path)
        self._normalise_references(document, _PRODUCT_REFERENCES)
        document["lastUpdated"] = _now_timestamp()
        self._products[number] = document
        return HttpResponse(200, self._render_product(document))

    # -- draft invoices -------------------------------------------------------------------------

    def _render_draft(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._render(document, "draftInvoice", document["draftInvoiceNumber"])

    def _list_drafts(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        return self._list(request, "/invoices/drafts", self._drafts, "draftInvoiceNumber", self._render_draft)

    def _get_draft(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._drafts:
            raise _not_found("draft invoice", parameters[0])
        return HttpResponse(200, self._render_draft(self._drafts[number]))

    def _post_draft(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        body = self._parse_body(request)
        document = self._validate(
            body, "invoices.drafts.post", _INVOICE_REFERENCES, self._check_invoice_rules
        )
        number = self._next_draft_number
        self._next_draft_number += 1
        self._drafts[number] = self._build_sales_document(document, "draftInvoiceNumber", number)
        return self._created(self._render_draft(self._drafts[number]))

    def _put_draft(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._drafts:
            raise _not_found("draft invoice", parameters[0])

        def check(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            self._check_invoice_rules(body, errors)
            _check_path_key(body, "draftInvoiceNumber", number, errors)
            layout = body.get("layout")
            if isinstance(layout, dict) and layout.get("layoutNumber") is None and layout.get("self") is None:
                errors.add(
                    ("layout",),
                    MISSING_IDENTIFIER,
                    "No identifier on layout: include layoutNumber or self.",
                    "Reference an entity by its number or by its self link.",
                )

        body = self._parse_body(request)
        document = self._validate(body, "invoices.drafts.draftInvoiceNumber.put", _INVOICE_REFERENCES, check)
        # NOTE: the docs' PUT table leaves out layout although POST requires it. The sandbox keeps a
        # layout sent with PUT, checked above like any reference, instead of dropping it.
        if isinstance(body.get("layout"), dict):
            document["layout"] = body["layout"]
        self._drafts[number] = self._build_sales_document(document, "draftInvoiceNumber", number)
        return HttpResponse(200, self._render_draft(self._drafts[number]))

    def _delete_draft(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or self._drafts.pop(number, None) is None:
            raise _not_found("draft invoice", parameters[0])
        return HttpResponse(204)

    def _check_invoice_rules(self, body: dict[str, Any], errors: _AnnotatedErrors) -> None:
        _check_lines(body, errors)

        terms_reference = body.get("paymentTerms")
        if isinstance(terms_reference, dict) and "dueDate" not in body:
            key = self._reference_key(_REFERENCE_KINDS["paymentTerms"], terms_reference)
            terms = self._reference["paymentTerms"].get(key) if isinstance(key, int) else None
            if terms is not None and terms["paymentTermsType"] == "dueDate":
                errors.add(
                    ("dueDate",),
                    SCHEMA_VIOLATION,
                    "dueDate is required when the payment terms type is dueDate.",
                    _VALIDATION_HINT,
                )

    def _build_sales_document(self, document: dict[str, Any], number_key: str, number: int) -> dict[str, Any]:
        """Complete a validated draft invoice or draft order: number, references, lines, totals, due date.

        `number_key` names the number property, draftInvoiceNumber or orderNumber. VAT is the
        recipient VAT zone's rate applied to the summed net amount of the taxable lines, rounded
        half up to 2 decimals. A line is taxable unless its product is in a `vat_exempt` group.
        """
        self._normalise_references(document, _INVOICE_REFERENCES)
        document[number_key] = number
        document.pop("self", None)

        terms = document.get("paymentTerms")
        if terms is not None:
            document["paymentTerms"] = dict(self._reference["paymentTerms"][terms["paymentTermsNumber"]])
        vat_zone_number = document["recipient"]["vatZone"]["vatZoneNumber"]
        document["recipient"]["vatZone"] = dict(self._reference["vatZone"][vat_zone_number])

        currency_code = document.get("currency", self._reference_data.base_currency)
        if "exchangeRate" not in document:
            document["exchangeRate"] = self._exchange_rate(currency_code)
        rate = next(
            zone.vat_rate for zone in self._reference_data.vat_zones if zone.number == vat_zone_number
        )

        net_amount = Decimal("0.00")
        taxable_net_amount = Decimal("0.00")
        for index, line in enumerate(document.get("lines", []), start=1):
            exempt = self._is_vat_exempt(line)
            line_net_amount = self._complete_line(line, index, Decimal(0) if exempt else rate)
            net_amount += line_net_amount
            if not exempt:
                taxable_net_amount += line_net_amount
        vat_amount = _round_money(taxable_net_amount * rate / 100)
        gross_amount = net_amount + vat_amount
        exchange_rate = Decimal(document["exchangeRate"])

        document["netAmount"] = net_amount
        document["vatAmount"] = vat_amount
        document["grossAmount"] = gross_amount
        document["roundingAmount"] = Decimal("0.00")
        document["netAmountInBaseCurrency"] = _round_money(net_amount * exchange_rate / 100)
        document["grossAmountInBaseCurrency"] = _round_money(gross_amount * exchange_rate / 100)
        if "date" in document and terms is not None:
            due = _due_date(
                dt.date.fromisoformat(document["date"]), document["paymentTerms"], document.get("dueDate")
            )
            document["dueDate"] = due.isoformat()
        return document

    def _exchange_rate(self, currency_code: str) -> Decimal:
        if currency_code == self._reference_data.base_currency:
            return Decimal(100)
        currency = next(item for item in self._reference_data.currencies if item.code == currency_code)
        return currency.exchange_rate

    def _is_vat_exempt(self, line: Mapping[str, Any]) -> bool:
        """Return True when the line's product is in a product group marked `vat_exempt`.

        A line without a product, or whose product's group is not in the reference data, is taxable.
        """
        product = self._products.get(line["product"]["productNumber"]) if "product" in line else None
        if product is None or "productGroup" not in product:
            return False
        group_number = product["productGroup"]["productGroupNumber"]
        group = next(
            (group for group in self._reference_data.product_groups if group.number == group_number), None
        )
        return group is not None and group.vat_exempt

    def _complete_line(self, line: dict[str, Any], index: int, vat_rate: Decimal) -> Decimal:
        """Fill a line's defaults from its product, compute its amounts and return its net amount.

        NOTE: a line without quantity counts as quantity 0 (a text line); the docs do not say what
        e-conomic assumes.
        """
        line.setdefault("lineNumber", index)
        line.setdefault("sortKey", line["lineNumber"])

        product = self._products.get(line["product"]["productNumber"]) if "product" in line else None
        if product is not None:
            line.setdefault("description", product["name"])
            if "salesPrice" in product:
                line.setdefault("unitNetPrice", product["salesPrice"])
            if "unit" in product:
                line.setdefault("unit", dict(product["unit"]))

        quantity = Decimal(line.get("quantity", 0))
        unit_net_price = Decimal(line.get("unitNetPrice", 0))
        discount = Decimal(line.get("discountPercentage", 0))
        total_net_amount = _round_money(quantity * unit_net_price * (1 - discount / 100))

        line["totalNetAmount"] = total_net_amount
        line["vatRate"] = vat_rate
        line["vatAmount"] = _round_money(total_net_amount * vat_rate / 100)
        return total_net_amount

    # -- draft orders ---------------------------------------------------------------------------

    def _render_draft_order(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._render(document, "draftOrder", document["orderNumber"])

    def _list_draft_orders(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        return self._list(
            request, "/orders/drafts", self._draft_orders, "orderNumber", self._render_draft_order
        )

    def _get_draft_order(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._draft_orders:
            raise _not_found("draft order", parameters[0])
        return HttpResponse(200, self._render_draft_order(self._draft_orders[number]))

    def _post_draft_order(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        body = self._parse_body(request)
        document = self._validate(body, "orders.drafts.post", _ORDER_REFERENCES, self._check_invoice_rules)
        number = self._next_order_number
        self._next_order_number += 1
        self._draft_orders[number] = self._build_sales_document(document, "orderNumber", number)
        return self._created(self._render_draft_order(self._draft_orders[number]))

    def _put_draft_order(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._draft_orders:
            raise _not_found("draft order", parameters[0])

        def check(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            self._check_invoice_rules(body, errors)
            _check_path_key(body, "orderNumber", number, errors)

        # NOTE: e-conomic validates this PUT against orders.drafts.orderNumber.put, which requires
        # only recipient and lines.unit.name. The contract has no copy of that schema, so the
        # sandbox applies the POST schema instead. That also requires currency, customer, date,
        # layout and paymentTerms, and it does not require lines.unit.name.
        body = self._parse_body(request)
        document = self._validate(body, "orders.drafts.post", _ORDER_REFERENCES, check)
        self._draft_orders[number] = self._build_sales_document(document, "orderNumber", number)
        return HttpResponse(200, self._render_draft_order(self._draft_orders[number]))

    def _delete_draft_order(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or self._draft_orders.pop(number, None) is None:
            raise _not_found("draft order", parameters[0])
        return HttpResponse(204)

    # -- booked invoices ------------------------------------------------------------------------

    def _render_booked(self, document: Mapping[str, Any]) -> dict[str, Any]:
        return self._render(document, "bookedInvoice", document["bookedInvoiceNumber"])

    def _list_booked(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        return self._list(
            request, "/invoices/booked", self._booked, "bookedInvoiceNumber", self._render_booked
        )

    def _get_booked(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None or number not in self._booked:
            raise _not_found("booked invoice", parameters[0])
        return HttpResponse(200, self._render_booked(self._booked[number]))

    def _post_booked(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        body = self._parse_body(request)
        return self._book(body, "invoices.booked.post", body.get("bookWithNumber"))

    def _put_booked(self, request: HttpRequest, parameters: list[str]) -> HttpResponse:
        number = _path_number(parameters[0])
        if number is None:
            raise _not_found("booked invoice", parameters[0])
        body = self._parse_body(request)
        if body.get("bookWithNumber", number) != number:
            errors = _AnnotatedErrors()
            _check_path_key(body, "bookWithNumber", number, errors)
            raise _ApiError.validation(errors)
        return self._book(body, "invoices.booked.bookWithNumber.put", number)

    def _book(self, body: dict[str, Any], schema_name: str, book_with_number: Any) -> HttpResponse:
        """Turn a draft into a booked invoice. The draft is consumed, so booking it again fails (E06000)."""

        def check(body: dict[str, Any], errors: _AnnotatedErrors) -> None:
            if "draftInvoice" not in body:
                errors.add(("draftInvoice",), SCHEMA_VIOLATION, "draftInvoice is required.", _VALIDATION_HINT)
            if _is_number(book_with_number) and (book_with_number < 1 or book_with_number in self._booked):
                errors.add(
                    ("bookWithNumber",),
                    DUPLICATE_KEY if book_with_number in self._booked else SCHEMA_VIOLATION,
                    f"bookWithNumber {book_with_number} is taken or not a positive number.",
                    "Leave bookWithNumber out to get the next free invoice number.",
                    book_with_number,
                )

        document = self._validate(body, schema_name, ("draftInvoice",), check)
        draft_number = self._reference_key(_REFERENCE_KINDS["draftInvoice"], document["draftInvoice"])
        draft = self._drafts.pop(int(draft_number))

        number = int(book_with_number) if book_with_number is not None else max(self._booked, default=0) + 1
        booked = copy.deepcopy(draft)
        del booked["draftInvoiceNumber"]
        booked["bookedInvoiceNumber"] = number
        booked["remainder"] = booked["grossAmount"]
        booked["remainderInBaseCurrency"] = booked["grossAmountInBaseCurrency"]
        self._booked[number] = booked
        return self._created(self._render_booked(booked))


# =============================================================================================
# Small helpers
# =============================================================================================


def _now_timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path_number(segment: str) -> int | None:
    return int(segment) if segment.isdigit() else None


def _not_found(entity_name: str, identifier: Any) -> _ApiError:
    return _ApiError(
        404, f"The {entity_name} {identifier} was not found.", "Check the number, or follow a self link."
    )


def _check_path_key(body: Mapping[str, Any], name: str, expected: Any, errors: _AnnotatedErrors) -> None:
    sent = body.get(name)
    if sent is not None and sent != expected:
        errors.add(
            (name,),
            SCHEMA_VIOLATION,
            f"{name} {sent} does not match {expected} in the URL.",
            f"Send the same {name} as in the URL, or leave it out.",
            sent,
        )


def _query_int(
    request: HttpRequest, name: str, *, default: int, minimum: int, maximum: int | None = None
) -> int:
    text = request.query_value(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < minimum or (maximum is not None and int(text) > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise _ApiError(
            400,
            f"{name} must be a whole number of at least {minimum}{upper}, got {text!r}.",
            "Page with skippages (0-based) and pagesize.",
        )
    return int(text)
