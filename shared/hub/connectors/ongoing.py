"""Client for Ongoing WMS's goods-owner REST API v1.

Every call carries HTTP Basic credentials issued by the warehouse, and every read and write
names the goods owner (`goodsOwnerId`) that scopes the data. Each warehouse (3PL) has its own
base URL, such as `https://api.ongoingsystems.se/<warehouse>/api/v1`. `PUT /orders` and
`PUT /returnOrders` create or update by our own number, so the HTTP client may retry them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any

import requests
from pydantic import AfterValidator, TypeAdapter, ValidationError

from hub.connections import OngoingSettings
from hub.connectors.http import JsonHttpClient
from hub.connectors.responses import (
    error_body,
    load_decimal_json,
    model_mismatch,
    parse_list,
    parse_model,
)
from hub.errors import ConfigurationError, TargetRejected, TargetUnavailable
from hub.models import ongoing
from hub.secrets import OngoingCredentials, read_secret

TARGET = "ongoing"
# Ongoing's documentation requires paged list reads, because unpaged reads time out.
ORDERS_PAGE_SIZE = 100
ARTICLES_PAGE_SIZE = 500

_ORDERS = TypeAdapter(list[ongoing.Order])
_ARTICLES = TypeAdapter(list[ongoing.Article])
_INVENTORY = TypeAdapter(list[ongoing.ArticleInventoryPerWarehouse])
_RETURN_ORDERS = TypeAdapter(list[ongoing.ReturnOrder])


def _check_article_record(record: dict[str, Any]) -> dict[str, Any]:
    system_id = record.get("articleSystemId")
    if not isinstance(system_id, int) or isinstance(system_id, bool):
        raise ValueError("articleSystemId must be a whole number")
    return record


# An article as the product import reads it: every field kept, the system id checked for paging.
_ARTICLE_RECORDS = TypeAdapter(list[Annotated[dict[str, Any], AfterValidator(_check_article_record)]])


def basic_authorization(username: str, password: str) -> str:
    """Return the value of an HTTP Basic `Authorization` header."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class OngoingClient:
    """The Ongoing calls the hub makes, for one warehouse and goods owner."""

    def __init__(
        self,
        base_url: str,
        credentials: OngoingCredentials,
        *,
        goods_owner_id: int,
        timeout_seconds: float,
        max_attempts: int,
        http: JsonHttpClient | None = None,
    ) -> None:
        self.goods_owner_id = goods_owner_id
        self._http = http or JsonHttpClient(
            TARGET,
            base_url,
            headers={
                "Authorization": basic_authorization(credentials.username, credentials.password),
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout_seconds=timeout_seconds,
            max_attempts=max_attempts,
        )

    @classmethod
    def from_settings(cls, settings: OngoingSettings) -> OngoingClient:
        """Build the client with the credentials in the connection's secret.

        Raises ConfigurationError when neither the settings nor the secret name the goods owner.
        """
        credentials = read_secret(settings.secret_name, OngoingCredentials)
        goods_owner_id = settings.goods_owner_id or credentials.goods_owner_id
        if goods_owner_id is None:
            raise ConfigurationError(
                f"no Ongoing goods owner id: set ongoing.goods_owner_id or goods_owner_id in"
                f" secret {settings.secret_name!r}"
            )
        return cls(
            settings.base_url,
            credentials,
            goods_owner_id=goods_owner_id,
            timeout_seconds=settings.timeout_seconds,
            max_attempts=settings.max_attempts,
        )

    # -- orders -----------------------------------------------------------------------------------

    def put_order(self, body: dict[str, Any]) -> ongoing.PutResponse:
        """Create or update the order with the body's `orderNumber`."""
        return parse_model(
            TARGET, self._checked(self._http.request("PUT", "/orders", json_body=body)), ongoing.PutResponse
        )

    def find_order(self, order_number: str) -> ongoing.Order | None:
        """Return the goods owner's order with this order number, or None."""
        response = self._http.request(
            "GET", "/orders", params={"goodsOwnerId": self.goods_owner_id, "orderNumber": order_number}
        )
        orders = parse_list(TARGET, self._checked(response), _ORDERS)
        return orders[0] if orders else None

    def get_order(self, order_id: int) -> ongoing.Order | None:
        """Return the order with Ongoing's id, or None when the warehouse has no such order."""
        response = self._http.request("GET", f"/orders/{order_id}")
        if response.status_code == 404:
            return None
        return parse_model(TARGET, self._checked(response), ongoing.Order)

    def cancel_order(self, order_id: int) -> None:
        """Cancel the order. Raises TargetRejected when the warehouse refuses."""
        self._checked(self._http.request("DELETE", f"/orders/{order_id}"))

    def orders_shipped_since(self, shipped_from: datetime) -> Iterator[ongoing.Order]:
        """Yield every order shipped at or after `shipped_from`, by ascending order id, page by page."""
        order_id_from = 0
        while True:
            params: dict[str, str | int] = {
                "goodsOwnerId": self.goods_owner_id,
                "shippedTimeFrom": shipped_from.isoformat(),
                "orderIdFrom": order_id_from,
                "maxOrdersToGet": ORDERS_PAGE_SIZE,
            }
            page = parse_list(
                TARGET, self._checked(self._http.request("GET", "/orders", params=params)), _ORDERS
            )
            yield from page
            if len(page) < ORDERS_PAGE_SIZE:
                return
            order_id_from = max(order.order_info.order_id for order in page) + 1

    # -- return orders ----------------------------------------------------------------------------

    def put_return_order(self, body: dict[str, Any]) -> ongoing.PutResponse:
        """Create or update the return order with the body's `returnOrderNumber`."""
        response = self._http.request("PUT", "/returnOrders", json_body=body)
        return parse_model(TARGET, self._checked(response), ongoing.PutResponse)

    def find_return_orders(self, customer_order_number: str) -> list[ongoing.ReturnOrder]:
        """Return the return orders of one customer order."""
        response = self._http.request(
            "GET",
            "/returnOrders",
            params={"goodsOwnerId": self.goods_owner_id, "customerOrderNumbers": customer_order_number},
        )
        return parse_list(TARGET, self._checked(response), _RETURN_ORDERS)

    # -- articles and stock -----------------------------------------------------------------------

    def articles_page(
        self, article_system_id_from: int, limit: int = ARTICLES_PAGE_SIZE
    ) -> list[ongoing.Article]:
        """Return up to `limit` articles with a system id at or above `article_system_id_from`, ascending."""
        params: dict[str, str | int] = {
            "goodsOwnerId": self.goods_owner_id,
            "articleSystemIdFrom": article_system_id_from,
            "maxArticlesToGet": limit,
        }
        articles = parse_list(
            TARGET, self._checked(self._http.request("GET", "/articles", params=params)), _ARTICLES
        )
        return sorted(articles, key=lambda article: article.article_system_id)

    def article_records(self, *, updated_from: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Yield the goods owner's articles as Ongoing returns them, by ascending system id, page by page.

        With `updated_from`, only articles whose article data changed at or after that time.
        Inactive articles are included. Raises TargetRejected when a page is not a list of
        articles with a numeric `articleSystemId`.
        """
        system_id_from = 0
        while True:
            params: dict[str, str | int] = {
                "goodsOwnerId": self.goods_owner_id,
                "articleSystemIdFrom": system_id_from,
                "maxArticlesToGet": ARTICLES_PAGE_SIZE,
            }
            if updated_from is not None:
                params["articleDataLastUpdatedFrom"] = updated_from.isoformat()
            response = self._checked(self._http.request("GET", "/articles", params=params))
            page = _parse_records(response, _ARTICLE_RECORDS)
            yield from page
            if len(page) < ARTICLES_PAGE_SIZE:
                return
            system_id_from = max(int(record["articleSystemId"]) for record in page) + 1

    def inventory_per_warehouse(
        self, article_numbers: Sequence[str]
    ) -> list[ongoing.ArticleInventoryPerWarehouse]:
        """Return the stock of each article in each warehouse."""
        if not article_numbers:
            return []
        # requests sends a list as the parameter repeated, once per article number.
        params: dict[str, Any] = {
            "goodsOwnerId": self.goods_owner_id,
            "articleNumbers": list(article_numbers),
        }
        response = self._http.request("GET", "/articles/inventoryPerWarehouse", params=params)
        return parse_list(TARGET, self._checked(response), _INVENTORY)

    # -- responses ----------------------------------------------------------------------------

    def _checked(self, response: requests.Response) -> requests.Response:
        if response.status_code < 400:
            return response
        if response.status_code in (401, 403):
            # Wrong or revoked credentials fail every call until someone fixes the secret, so
            # they are retried (and alarm) instead of failing each document for good.
            raise TargetUnavailable(
                TARGET,
                f"Ongoing rejected the credentials (HTTP {response.status_code})",
                status=response.status_code,
            )
        raise TargetRejected(
            TARGET, _error_message(response), status=response.status_code, code=_error_code(response)
        )


def _parse_records(response: requests.Response, adapter: TypeAdapter[list[Any]]) -> list[Any]:
    """Parse a list of raw records, reading JSON decimals as Decimal so that prices stay exact."""
    raw = load_decimal_json(TARGET, response, b"[]")
    try:
        parsed: list[Any] = adapter.validate_python(raw)
    except ValidationError as error:
        raise model_mismatch(TARGET, response, error) from None
    return parsed


def _error_message(response: requests.Response) -> str:
    message = error_body(response).get("message")
    if isinstance(message, str) and message:
        return message
    return f"HTTP {response.status_code}"


def _error_code(response: requests.Response) -> str | None:
    code = error_body(response).get("errorCode")
    return str(code) if code is not None else None
