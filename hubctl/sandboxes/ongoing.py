"""Loopback sandbox that speaks Ongoing WMS's goods-owner REST API v1.

It keeps one goods owner's articles, stock per warehouse, orders, parcels and return orders,
so that the hub's flows can be played through. Orders and return orders come in with PUT.
Tests and the demo pick and ship them (`ship_parcel`), and the hub reads shipments and stock
back. Every request is checked before it is served:
- HTTP Basic credentials, and the goods owner id in the query or body;
- each body against the shape derived from the vendor's example requests in
  tests/contract/ongoing (fields, JSON types, dates and required fields, see SOURCES.md there);
- each query against the parameters that the vendor's examples and documentation name;
- the rules the examples cannot show: unique row numbers, positive quantities, known
  articles, known order lines on return orders, and no change or cancellation once the
  warehouse has started on an order (status 300 Released or later).
Rejected requests get HTTP 400 with `{"success": false, "message": ..., "errors": [...]}`.
NOTE: that error body and every response body are the sandbox's assumptions (see
shared/hub/models/ongoing.py), because the vendor material at hand has no response examples.
"""

from __future__ import annotations

import base64
import copy
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer, loads_json

DEFAULT_CONTRACT_DIR = Path(__file__).resolve().parents[2] / "tests" / "contract" / "ongoing"
COLLECTION_FILE = "postman_collection.json"
STATUSES_FILE = "order_statuses.json"

STATUS_OPEN = 200
STATUS_LOCKED_FROM = 300
STATUS_PICKED = 400
STATUS_SENT = 450
STATUS_CANCELLED = 1000

# Query parameters the vendor documents for paging and change filters, which the example
# requests leave out.
_DOCUMENTED_QUERY_PARAMETERS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "orders"): frozenset({"shippedTimeFrom", "orderIdFrom", "maxOrdersToGet"}),
    ("GET", "articles"): frozenset({"articleSystemIdFrom", "maxArticlesToGet", "articleDataLastUpdatedFrom"}),
}

# The only example of PUT /returnOrders carries every field, so the required ones are chosen here.
_RETURN_ORDER_REQUIRED: dict[str, Any] = {
    "goodsOwnerId": {},
    "returnOrderNumber": {},
    "customerOrder": {"orderId": {}},
    "returnOrderLines": {
        "returnOrderRowNumber": {},
        "customerOrderLine": {"orderLineId": {}},
        "toBeReturnedNumberOfItems": {},
    },
}

_VARIABLE = re.compile(r"\{\{(\w+)\}\}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# =============================================================================================
# Request shapes derived from the vendor's example requests
# =============================================================================================


@dataclass
class Shape:
    """The JSON types and nested fields that example values show at one place in a body."""

    types: set[str] = field(default_factory=set)
    fields: dict[str, Shape] = field(default_factory=dict)
    items: Shape | None = None

    def learn(self, value: Any) -> None:
        """Widen the shape by one example value."""
        kind = _json_type(value)
        self.types.add(kind)
        if kind == "object":
            for key, item in value.items():
                self.fields.setdefault(key, Shape()).learn(item)
        elif kind == "array":
            self.items = self.items or Shape()
            for item in value:
                self.items.learn(item)

    def check(self, value: Any, path: str, errors: list[dict[str, str]]) -> None:
        """Append an error for every place where `value` leaves the shape."""
        kind = _json_type(value)
        accepted = self.types | ({"string"} if "date" in self.types else set())
        if kind not in accepted:
            expected = " or ".join(sorted(self.types))
            errors.append({"field": path or "(body)", "message": f"must be {expected}, not {kind}"})
            return
        if "date" in self.types and kind == "string" and not _DATE.match(value):
            errors.append({"field": path, "message": "must be a date (YYYY-MM-DD)"})
        if kind == "object":
            for key, item in value.items():
                child = self.fields.get(key)
                if child is None:
                    errors.append({"field": _join(path, key), "message": "is not a field of this request"})
                else:
                    child.check(item, _join(path, key), errors)
        elif kind == "array" and self.items is not None:
            for index, item in enumerate(value):
                self.items.check(item, f"{path}[{index}]", errors)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "date" if _DATE.match(value) else "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def required_fields_of(example: Any) -> dict[str, Any]:
    """Return the nested field names of an example, as the required fields of a request."""
    if isinstance(example, Mapping):
        return {key: required_fields_of(value) for key, value in example.items()}
    if isinstance(example, list) and example:
        merged: dict[str, Any] = {}
        for item in example:
            merged |= required_fields_of(item)
        return merged
    return {}


def check_required(value: Any, required: Mapping[str, Any], path: str, errors: list[dict[str, str]]) -> None:
    """Append an error for every required field missing from `value` or its nested objects."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_required(item, required, f"{path}[{index}]", errors)
        return
    if not isinstance(value, Mapping):
        return
    for key, nested in required.items():
        if value.get(key) is None:
            errors.append({"field": _join(path, key), "message": "is required"})
        elif nested:
            check_required(value[key], nested, _join(path, key), errors)


@dataclass(frozen=True)
class Endpoint:
    """One method and path of the collection, with what its examples show."""

    method: str
    path: str
    """Path below the API root, with `{}` for each path variable: `orders/{}`."""
    body_shape: Shape | None
    query_parameters: frozenset[str]


class OngoingContract:
    """The request shapes of every endpoint in the vendor's Postman collection."""

    def __init__(self, directory: Path = DEFAULT_CONTRACT_DIR) -> None:
        collection = json.loads((directory / COLLECTION_FILE).read_text(encoding="utf-8"))
        self._variables = {item["key"]: str(item["value"]) for item in collection.get("variable", [])}
        self._bodies: dict[str, Any] = {}
        shapes: dict[tuple[str, str], Shape] = {}
        queries: dict[tuple[str, str], set[str]] = {}
        for name, request in _requests(collection["item"]):
            key = (request["method"], _path_template(request["url"]["path"]))
            queries.setdefault(key, set()).update(item["key"] for item in request["url"].get("query", []))
            raw = (request.get("body") or {}).get("raw")
            if raw:
                body = loads_json(self._substitute(raw))
                self._bodies[name] = body
                shapes.setdefault(key, Shape()).learn(body)
        self.endpoints = {
            key: Endpoint(key[0], key[1], shapes.get(key), frozenset(queries.get(key, set())))
            for key in queries
        }
        statuses = json.loads((directory / STATUSES_FILE).read_text(encoding="utf-8-sig"))
        self.status_texts = {int(item["number"]): str(item["text"]) for item in statuses["orderStatuses"]}
        self.required = {
            ("PUT", "orders"): required_fields_of(
                self.example_body("Order/Create or update an order (only the required fields)")
            ),
            ("PUT", "returnOrders"): _RETURN_ORDER_REQUIRED,
        }

    def example_body(self, name: str) -> Any:
        """Return the body of the example request `folder/name`, with the collection's variables filled in."""
        return copy.deepcopy(self._bodies[name])

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        return self.endpoints.get((method, path))

    def query_parameters(self, method: str, path: str) -> frozenset[str]:
        endpoint = self.endpoint(method, path)
        examples = endpoint.query_parameters if endpoint else frozenset()
        return examples | _DOCUMENTED_QUERY_PARAMETERS.get((method, path), frozenset())

    def check_body(self, method: str, path: str, body: Any) -> list[dict[str, str]]:
        """Return the errors of a body against the endpoint's derived shape and required fields."""
        errors: list[dict[str, str]] = []
        endpoint = self.endpoint(method, path)
        if endpoint is None or endpoint.body_shape is None:
            return [
                {"field": "(body)", "message": f"{method} /{path} takes no body in the vendor's examples"}
            ]
        endpoint.body_shape.check(body, "", errors)
        check_required(body, self.required.get((method, path), {}), "", errors)
        return errors

    def _substitute(self, text: str) -> str:
        return _VARIABLE.sub(lambda match: self._variables.get(match.group(1), match.group(0)), text)


def _requests(items: Iterable[dict[str, Any]], folder: str = "") -> Iterable[tuple[str, dict[str, Any]]]:
    for item in items:
        if "item" in item:
            yield from _requests(item["item"], f"{folder}{item['name']}/")
        else:
            yield f"{folder}{item['name']}", item["request"]


def _path_template(segments: list[str]) -> str:
    return "/".join("{}" if _VARIABLE.fullmatch(segment) else segment for segment in segments)


# =============================================================================================
# The sandbox
# =============================================================================================


class _Rejected(Exception):
    def __init__(self, message: str, errors: list[dict[str, str]] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []


class OngoingSandbox(LoopbackJsonServer):
    """One goods owner in one Ongoing warehouse system. State is kept in Ongoing's own JSON shapes."""

    def __init__(
        self,
        username: str,
        password: str,
        goods_owner_id: int,
        *,
        contract_dir: Path = DEFAULT_CONTRACT_DIR,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 5.0,
    ) -> None:
        super().__init__(host=host, port=port, slow_seconds=slow_seconds)
        self._authorization = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.goods_owner_id = goods_owner_id
        self.contract = OngoingContract(contract_dir)
        self._articles: dict[str, dict[str, Any]] = {}
        self._stock: dict[str, dict[str, Decimal]] = {}
        self._orders: dict[int, dict[str, Any]] = {}
        self._return_orders: dict[int, dict[str, Any]] = {}
        self._next_id = {"article": 1, "order": 1, "line": 1, "parcel": 1, "return": 1}
        self.rejections: list[dict[str, Any]] = []
        """Every request the sandbox rejected, with its errors: a test asserts it stays empty."""

    # -- state for tests and the demo -------------------------------------------------------------

    def add_article(
        self,
        article_number: str,
        name: str,
        stock: Mapping[str, Decimal | int] | None = None,
        *,
        active: bool = True,
        updated_at: datetime | None = None,
        **fields: Any,
    ) -> int:
        """Create an article with sellable stock per warehouse code. Returns its article system id.

        `fields` are further article fields such as `customerPrice` or `barCodeInfo`. Their names
        must be fields of the vendor's example `PUT /articles` body. `updated_at` is the article's
        `articleDataLastUpdated`, by default now. Raises ValueError for an unknown field.
        """
        self._check_article_fields(fields)
        with self._state_lock:
            system_id = self._take_id("article")
            self._articles[article_number] = {
                "goodsOwner": {"id": self.goods_owner_id},
                "articleSystemId": system_id,
                "articleNumber": article_number,
                "articleName": name,
                "isActive": active,
                **copy.deepcopy(fields),
                "articleDataLastUpdated": _response_time(updated_at or datetime.now(UTC)),
            }
            self._stock[article_number] = {code: Decimal(count) for code, count in (stock or {}).items()}
            return system_id

    def update_article(
        self,
        article_number: str,
        *,
        active: bool | None = None,
        updated_at: datetime | None = None,
        **fields: Any,
    ) -> None:
        """Change an article's fields, as a person in the WMS would, and stamp `articleDataLastUpdated`.

        A field given as None is removed. Raises ValueError for an unknown field, KeyError for an
        unknown article.
        """
        self._check_article_fields(fields)
        with self._state_lock:
            article = self._articles[article_number]
            for name, value in fields.items():
                if value is None:
                    article.pop(name, None)
                else:
                    article[name] = copy.deepcopy(value)
            if active is not None:
                article["isActive"] = active
            article["articleDataLastUpdated"] = _response_time(updated_at or datetime.now(UTC))

    def delete_article(self, article_number: str) -> None:
        """Remove an article and its stock, as if the goods owner's article were deleted."""
        with self._state_lock:
            del self._articles[article_number]
            del self._stock[article_number]

    def _check_article_fields(self, fields: Mapping[str, Any]) -> None:
        endpoint = self.contract.endpoint("PUT", "articles")
        known = endpoint.body_shape.fields if endpoint and endpoint.body_shape else {}
        for name, value in fields.items():
            shape = known.get(name)
            if shape is None or name in ("goodsOwnerId", "articleNumber"):
                raise ValueError(f"{name} is not an article field of the vendor's PUT /articles example")
            if isinstance(value, Mapping):
                unknown = sorted(set(value) - set(shape.fields))
                if unknown:
                    raise ValueError(f"{name} has fields {unknown} that the vendor's example lacks")

    def set_stock(self, article_number: str, warehouse_code: str, sellable: Decimal | int) -> None:
        """Set the sellable stock of an article in one warehouse; negative values are kept as given."""
        with self._state_lock:
            self._stock[article_number][warehouse_code] = Decimal(sellable)

    def set_order_status(self, order_number: str, status: int) -> None:
        """Move an order to an Ongoing status, as the warehouse's work would."""
        with self._state_lock:
            self._order_by_number(order_number)["orderInfo"]["orderStatus"] = self._status(status)

    def ship_parcel(
        self,
        order_number: str,
        parcel_number: str,
        lines: Mapping[str, Decimal | int],
        *,
        shipped_time: datetime,
        tracking_url: str | None = None,
    ) -> int:
        """Pick and ship a parcel with `lines` (row number → items). Returns the parcel id.

        The order becomes Sent when every line is shipped in full, else Picked.
        """
        with self._state_lock:
            order = self._order_by_number(order_number)
            by_row = {line["rowNumber"]: line for line in order["orderLines"]}
            parcel_lines = []
            for row_number, count in lines.items():
                line = by_row[row_number]
                line["pickedNumberOfItems"] += Decimal(count)
                parcel_lines.append({"orderLineId": line["id"], "numberOfItems": Decimal(count)})
            parcel_id = self._take_id("parcel")
            order["parcels"].append(
                {
                    "id": parcel_id,
                    "parcelNumber": parcel_number,
                    "trackingUrl": tracking_url,
                    "isReturnParcel": False,
                    "shippedTime": _response_time(shipped_time),
                    "orderLines": parcel_lines,
                }
            )
            order["orderInfo"]["shippedTime"] = _response_time(shipped_time)
            complete = all(
                line["pickedNumberOfItems"] >= line["orderedNumberOfItems"] for line in by_row.values()
            )
            order["orderInfo"]["orderStatus"] = self._status(STATUS_SENT if complete else STATUS_PICKED)
            return parcel_id

    def add_foreign_order(self, order_number: str, *, shipped_time: datetime) -> int:
        """Create a shipped order that the hub did not send, as a warehouse operator might. Returns its id."""
        with self._state_lock:
            order_id = self._take_id("order")
            self._orders[order_id] = {
                "goodsOwner": {"id": self.goods_owner_id},
                "orderInfo": {
                    "orderId": order_id,
                    "orderNumber": order_number,
                    "goodsOwnerOrderId": None,
                    "orderStatus": self._status(STATUS_SENT),
                    "shippedTime": _response_time(shipped_time),
                },
                "orderLines": [],
                "parcels": [],
            }
            return order_id

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        """Every order by order number, as `GET /orders/{orderId}` returns it."""
        with self._state_lock:
            return {
                order["orderInfo"]["orderNumber"]: copy.deepcopy(order) for order in self._orders.values()
            }

    @property
    def return_orders(self) -> dict[str, dict[str, Any]]:
        """Every return order by return order number."""
        with self._state_lock:
            return {
                item["returnOrderInfo"]["returnOrderNumber"]: copy.deepcopy(item)
                for item in self._return_orders.values()
            }

    def error_body(self, status: int, message: str) -> Any:
        return {"success": False, "message": message, "errors": []}

    # -- dispatch ---------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("Authorization") or ""
        if not hmac.compare_digest(supplied.encode(), self._authorization.encode()):
            return HttpResponse(401, self.error_body(401, "Invalid username or password."))
        path = self._api_path(request)
        try:
            return self._route(request, path)
        except _Rejected as rejected:
            self.rejections.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "message": str(rejected),
                    "errors": rejected.errors,
                }
            )
            return HttpResponse(
                rejected.status, {"success": False, "message": str(rejected), "errors": rejected.errors}
            )

    def _api_path(self, request: HttpRequest) -> list[str]:
        # The hub's base URL may carry a warehouse prefix such as /demo/api/v1; routes start after it.
        segments = request.segments
        if "v1" in segments:
            segments = segments[segments.index("v1") + 1 :]
        return segments

    def _route(self, request: HttpRequest, path: list[str]) -> HttpResponse:
        method = request.method
        template = "/".join("{}" if segment.isdigit() else segment for segment in path)
        self._check_query(request, method, template)
        routes = {
            ("PUT", "orders"): lambda: self._put_order(request),
            ("GET", "orders"): lambda: self._list_orders(request),
            ("DELETE", "orders"): lambda: self._cancel_by_number(request),
            ("GET", "orders/{}"): lambda: self._get_order(int(path[1])),
            ("DELETE", "orders/{}"): lambda: self._cancel(int(path[1])),
            ("PUT", "returnOrders"): lambda: self._put_return_order(request),
            ("GET", "returnOrders"): lambda: self._list_return_orders(request),
            ("GET", "articles"): lambda: self._list_articles(request),
            ("GET", "articles/inventoryPerWarehouse"): lambda: self._inventory_per_warehouse(request),
        }
        route = routes.get((method, template))
        if route is None:
            return HttpResponse(404, self.error_body(404, f"No resource for {method} /{template}."))
        return route()

    def _check_query(self, request: HttpRequest, method: str, template: str) -> None:
        allowed = self.contract.query_parameters(method, template)
        unknown = sorted(set(request.query) - allowed)
        if unknown:
            raise _Rejected(
                f"Unknown query parameters: {', '.join(unknown)}",
                [{"field": name, "message": "is not a parameter of this request"} for name in unknown],
            )
        if "goodsOwnerId" in allowed and method in ("GET", "DELETE") and request.query:
            self._check_goods_owner(request.query_value("goodsOwnerId"))

    def _check_goods_owner(self, value: Any) -> None:
        if str(value) != str(self.goods_owner_id):
            raise _Rejected(
                "goodsOwnerId does not match the API user's goods owner.",
                [{"field": "goodsOwnerId", "message": "must be the API user's goods owner"}],
                status=403,
            )

    def _body(self, request: HttpRequest, path: str) -> dict[str, Any]:
        try:
            body = loads_json(request.body)
        except ValueError:
            raise _Rejected("The body is not valid JSON.") from None
        errors = self.contract.check_body(request.method, path, body)
        if errors:
            raise _Rejected(f"The request fails the {request.method} /{path} contract.", errors)
        self._check_goods_owner(body.get("goodsOwnerId"))
        return dict(body)

    # -- orders -----------------------------------------------------------------------------------

    def _put_order(self, request: HttpRequest) -> HttpResponse:
        body = self._body(request, "orders")
        self._check_order_rules(body)
        existing = next(
            (
                order
                for order in self._orders.values()
                if order["orderInfo"]["orderNumber"] == body["orderNumber"]
            ),
            None,
        )
        if existing is None:
            order_id = self._take_id("order")
            lines_by_row: dict[str, dict[str, Any]] = {}
            status = self._status(STATUS_OPEN)
        else:
            order_id = existing["orderInfo"]["orderId"]
            status = existing["orderInfo"]["orderStatus"]
            if status["number"] >= STATUS_LOCKED_FROM:
                raise _Rejected(
                    f"Order {body['orderNumber']} cannot be changed because its status is {status['text']}.",
                    [{"field": "orderNumber", "message": "the warehouse has started working on the order"}],
                )
            lines_by_row = {line["rowNumber"]: line for line in existing["orderLines"]}
        self._orders[order_id] = self._render_order(order_id, body, status, lines_by_row)
        return HttpResponse(200, {"success": True, "message": "", "orderId": order_id})

    def _check_order_rules(self, body: Mapping[str, Any]) -> None:
        errors: list[dict[str, str]] = []
        if not str(body.get("orderNumber", "")).strip():
            errors.append({"field": "orderNumber", "message": "must not be empty"})
        country = (body.get("consignee") or {}).get("countryCode")
        if country is not None and not re.fullmatch(r"[A-Z]{2}", str(country)):
            errors.append({"field": "consignee.countryCode", "message": "must be an ISO 3166-1 alpha-2 code"})
        lines = body.get("orderLines") or []
        if not lines:
            errors.append({"field": "orderLines", "message": "must contain at least one line"})
        seen: set[str] = set()
        for index, line in enumerate(lines):
            path = f"orderLines[{index}]"
            if line["rowNumber"] in seen:
                errors.append({"field": f"{path}.rowNumber", "message": "is not unique on the order"})
            seen.add(line["rowNumber"])
            if Decimal(line["numberOfItems"]) <= 0:
                errors.append({"field": f"{path}.numberOfItems", "message": "must be greater than 0"})
            if line["articleNumber"] not in self._articles:
                errors.append({"field": f"{path}.articleNumber", "message": "no article has this number"})
        if errors:
            raise _Rejected("The order breaks the warehouse's rules.", errors)

    def _render_order(
        self,
        order_id: int,
        body: Mapping[str, Any],
        status: dict[str, Any],
        lines_by_row: Mapping[str, dict[str, Any]],
    ) -> dict[str, Any]:
        lines = []
        for line in body["orderLines"]:
            earlier = lines_by_row.get(line["rowNumber"])
            article = self._articles[line["articleNumber"]]
            lines.append(
                {
                    "id": earlier["id"] if earlier else self._take_id("line"),
                    "rowNumber": line["rowNumber"],
                    "article": {
                        "articleSystemId": article["articleSystemId"],
                        "articleNumber": article["articleNumber"],
                    },
                    "orderedNumberOfItems": Decimal(line["numberOfItems"]),
                    "pickedNumberOfItems": Decimal(0),
                }
            )
        previous = self._orders.get(order_id)
        return {
            "goodsOwner": {"id": self.goods_owner_id},
            "orderInfo": {
                "orderId": order_id,
                "orderNumber": body["orderNumber"],
                "goodsOwnerOrderId": body.get("goodsOwnerOrderId"),
                "orderStatus": status,
                "deliveryDate": body.get("deliveryDate"),
                "orderRemark": body.get("orderRemark"),
                "shippedTime": None,
            },
            "consignee": copy.deepcopy(body.get("consignee")),
            "wayOfDelivery": copy.deepcopy(body.get("wayOfDelivery")),
            "transporter": copy.deepcopy(body.get("transporter")),
            "emailNotification": copy.deepcopy(body.get("emailNotification")),
            "smsNotification": copy.deepcopy(body.get("smsNotification")),
            "orderLines": lines,
            "parcels": previous["parcels"] if previous else [],
        }

    def _list_orders(self, request: HttpRequest) -> HttpResponse:
        number = request.query_value("orderNumber")
        if number is not None:
            matching = [
                order for order in self._orders.values() if order["orderInfo"]["orderNumber"] == number
            ]
            return HttpResponse(200, copy.deepcopy(matching))
        shipped_from = _parse_time(request.query_value("shippedTimeFrom"), "shippedTimeFrom")
        order_id_from = _parse_int(request.query_value("orderIdFrom") or "0", "orderIdFrom")
        limit = _parse_int(request.query_value("maxOrdersToGet") or "100", "maxOrdersToGet")
        selected = [
            order
            for order_id, order in sorted(self._orders.items())
            if order_id >= order_id_from
            and (
                shipped_from is None
                or (
                    order["orderInfo"]["shippedTime"] is not None
                    and _read_response_time(order["orderInfo"]["shippedTime"]) >= shipped_from
                )
            )
        ]
        return HttpResponse(200, copy.deepcopy(selected[:limit]))

    def _get_order(self, order_id: int) -> HttpResponse:
        order = self._orders.get(order_id)
        if order is None:
            return HttpResponse(404, self.error_body(404, f"No order with id {order_id}."))
        return HttpResponse(200, copy.deepcopy(order))

    def _cancel_by_number(self, request: HttpRequest) -> HttpResponse:
        number = request.query_value("orderNumber")
        order = next((o for o in self._orders.values() if o["orderInfo"]["orderNumber"] == number), None)
        if order is None:
            return HttpResponse(404, self.error_body(404, "No order with that order number."))
        return self._cancel(order["orderInfo"]["orderId"])

    def _cancel(self, order_id: int) -> HttpResponse:
        order = self._orders.get(order_id)
        if order is None:
            return HttpResponse(404, self.error_body(404, f"No order with id {order_id}."))
        status = order["orderInfo"]["orderStatus"]
        if status["number"] == STATUS_CANCELLED:
            return HttpResponse(200, {"success": True, "message": "The order was already cancelled."})
        if status["number"] >= STATUS_LOCKED_FROM:
            raise _Rejected(f"The order cannot be cancelled because its status is {status['text']}.")
        order["orderInfo"]["orderStatus"] = self._status(STATUS_CANCELLED)
        return HttpResponse(200, {"success": True, "message": ""})

    # -- return orders ----------------------------------------------------------------------------

    def _put_return_order(self, request: HttpRequest) -> HttpResponse:
        body = self._body(request, "returnOrders")
        order = self._orders.get(int(body["customerOrder"]["orderId"]))
        if order is None:
            raise _Rejected(
                "The customer order does not exist.",
                [{"field": "customerOrder.orderId", "message": "not found"}],
            )
        lines_by_id = {line["id"]: line for line in order["orderLines"]}
        errors = []
        rows: set[str] = set()
        for index, line in enumerate(body["returnOrderLines"]):
            path = f"returnOrderLines[{index}]"
            if line["returnOrderRowNumber"] in rows:
                errors.append({"field": f"{path}.returnOrderRowNumber", "message": "is not unique"})
            rows.add(line["returnOrderRowNumber"])
            order_line = lines_by_id.get(line["customerOrderLine"]["orderLineId"])
            if order_line is None:
                errors.append(
                    {"field": f"{path}.customerOrderLine.orderLineId", "message": "not a line of the order"}
                )
                continue
            count = Decimal(line["toBeReturnedNumberOfItems"])
            if not 0 < count <= order_line["orderedNumberOfItems"]:
                errors.append(
                    {
                        "field": f"{path}.toBeReturnedNumberOfItems",
                        "message": "must be above 0 and at most the ordered items",
                    }
                )
        if errors:
            raise _Rejected("The return order breaks the warehouse's rules.", errors)
        existing = next(
            (
                item
                for item in self._return_orders.values()
                if item["returnOrderInfo"]["returnOrderNumber"] == body["returnOrderNumber"]
            ),
            None,
        )
        return_order_id = (
            existing["returnOrderInfo"]["returnOrderId"] if existing else self._take_id("return")
        )
        self._return_orders[return_order_id] = {
            "returnOrderInfo": {
                "returnOrderId": return_order_id,
                "returnOrderNumber": body["returnOrderNumber"],
                "customerOrderNumber": order["orderInfo"]["orderNumber"],
                "comment": body.get("comment"),
            },
            "returnOrderLines": copy.deepcopy(body["returnOrderLines"]),
        }
        return HttpResponse(200, {"success": True, "message": "", "returnOrderId": return_order_id})

    def _list_return_orders(self, request: HttpRequest) -> HttpResponse:
        numbers = set(request.query.get("customerOrderNumbers", []))
        matching = [
            item
            for item in self._return_orders.values()
            if item["returnOrderInfo"]["customerOrderNumber"] in numbers
        ]
        return HttpResponse(200, copy.deepcopy(matching))

    # -- articles ---------------------------------------------------------------------------------

    def _list_articles(self, request: HttpRequest) -> HttpResponse:
        number = request.query_value("articleNumber")
        system_id_from = _parse_int(request.query_value("articleSystemIdFrom") or "0", "articleSystemIdFrom")
        limit = _parse_int(request.query_value("maxArticlesToGet") or "1000", "maxArticlesToGet")
        updated_from = _parse_time(
            request.query_value("articleDataLastUpdatedFrom"), "articleDataLastUpdatedFrom"
        )
        selected = sorted(
            (
                article
                for article in self._articles.values()
                if article["articleSystemId"] >= system_id_from
                and number in (None, article["articleNumber"])
                and (
                    updated_from is None
                    or _read_response_time(article["articleDataLastUpdated"]) >= updated_from
                )
            ),
            key=lambda article: article["articleSystemId"],
        )[:limit]
        return HttpResponse(
            200,
            [
                {
                    **copy.deepcopy(article),
                    "inventoryInfo": {
                        "sellableNumberOfItems": sum(
                            self._stock[article["articleNumber"]].values(), Decimal(0)
                        ),
                    },
                }
                for article in selected
            ],
        )

    def _inventory_per_warehouse(self, request: HttpRequest) -> HttpResponse:
        numbers = request.query.get("articleNumbers", [])
        return HttpResponse(
            200,
            [
                {
                    "articleNumber": number,
                    "articleSystemId": self._articles[number]["articleSystemId"],
                    "warehouses": [
                        {"warehouseCode": code, "sellableNumberOfItems": count}
                        for code, count in sorted(self._stock[number].items())
                    ],
                }
                for number in numbers
                if number in self._articles
            ],
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _order_by_number(self, order_number: str) -> dict[str, Any]:
        for order in self._orders.values():
            if order["orderInfo"]["orderNumber"] == order_number:
                return order
        raise KeyError(f"the sandbox has no order {order_number!r}")

    def _status(self, number: int) -> dict[str, Any]:
        return {"number": number, "text": self.contract.status_texts.get(number, str(number))}

    def _take_id(self, kind: str) -> int:
        identifier = self._next_id[kind]
        self._next_id[kind] += 1
        return identifier


def _response_time(moment: datetime) -> str:
    # Ongoing gives response times in UTC. The sandbox writes them without an offset to test that reading.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _read_response_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Rejected(f"{name} is not an ISO 8601 time.") from None
    if moment.tzinfo is None:
        raise _Rejected(f"{name} needs an explicit UTC offset.")
    return moment


def _parse_int(value: str, name: str) -> int:
    if not value.isdigit():
        raise _Rejected(f"{name} must be a whole number.")
    return int(value)
