"""Client for Zettle's OAuth, Product Library and Inventory APIs, for one merchant (organisation).

A self-hosted app authenticates with the assertion grant: the API key that the merchant created
is posted as the `assertion` with the app's `client_id`, and Zettle answers with an access token.
The token is kept until shortly before it expires, and fetched once more when an API call gets
401 (a token revoked early). A rejected API key (expired or revoked) raises
ZettleCredentialsRejected, a TargetUnavailable, so the work stays queued and the
`ZettleCredentialsRejected` metric alarms until someone replaces the key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests
from pydantic import TypeAdapter, ValidationError

from hub.connections import ZettleSettings
from hub.connectors.http import JsonHttpClient
from hub.connectors.responses import (
    error_body,
    load_decimal_json,
    model_mismatch,
    parse_list,
    parse_model,
    request_path,
)
from hub.errors import TargetRejected, TargetUnavailable
from hub.models import zettle
from hub.observability import logger, metrics
from hub.secrets import ZettleCredentials, read_secret

TARGET = "zettle"
ASSERTION_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CREDENTIALS_METRIC = "ZettleCredentialsRejected"
# A token is fetched again this long before Zettle says it expires, so no call starts with a
# token that lapses in flight.
TOKEN_EXPIRY_MARGIN_SECONDS = 60

_PRODUCTS = TypeAdapter(list[zettle.Product])
# Zettle's maximum page size of the library.
LIBRARY_PAGE_SIZE = 500
_LOCATIONS = TypeAdapter(list[zettle.Location])


class ZettleCredentialsRejected(TargetUnavailable):
    """Zettle rejected the API key or the token: the key expired or was revoked. Retried until fixed."""


class ZettleClient:
    """The Zettle calls the hub makes: a token, the product library, locations, balances and movements."""

    def __init__(
        self,
        settings: ZettleSettings,
        credentials: ZettleCredentials,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._clock = clock
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._locations: dict[str, str] | None = None
        form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._oauth = _http_client(settings.oauth_url, form_headers, settings)
        self._products = _http_client(settings.products_url, json_headers, settings)
        self._products_url = settings.products_url
        self._inventory = _http_client(settings.inventory_url, json_headers, settings)

    @classmethod
    def from_settings(cls, settings: ZettleSettings) -> ZettleClient:
        """Build the client with the credentials in the connection's secret."""
        return cls(settings, read_secret(settings.secret_name, ZettleCredentials))

    # -- products ---------------------------------------------------------------------------------

    def products(self) -> list[zettle.Product]:
        """Return every product in the merchant's library, with its variants."""
        # NOTE: one request reads the whole library. Zettle pages large libraries with a `Link`
        # header, which this client does not follow yet.
        response = self._call(self._products, "GET", "/organizations/self/products/v2")
        return parse_list(TARGET, response, _PRODUCTS)

    def library_products(self) -> list[dict[str, Any]]:
        """Return every product of the merchant's library as Zettle sends it, following the pages.

        Zettle pages the library with a `Link` header whose `next` URL is requested as it is.
        Prices stay as Zettle sends them: whole minor units. Raises TargetRejected when a page
        fails the `LibraryResponse` shape or links outside `products_url`.
        """
        products: list[dict[str, Any]] = []
        path = f"/organizations/self/library?limit={LIBRARY_PAGE_SIZE}"
        while True:
            response = self._call(self._products, "GET", path)
            products.extend(_parse_library_page(response))
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return products
            path = self._products_path(next_url, response)

    def _products_path(self, url: str, response: requests.Response) -> str:
        """Return `url` below the products base URL. Raises TargetRejected for any other address."""
        base = self._products_url.rstrip("/")
        if not url.startswith(f"{base}/"):
            raise TargetRejected(
                TARGET,
                f"{request_path(response)} links its next page outside products_url",
                status=response.status_code,
            )
        return url.removeprefix(base)

    # -- inventory --------------------------------------------------------------------------------

    def location_uuid(self, location_type: zettle.LocationType) -> str:
        """Return the uuid of the organisation's location of this type (one each, made by Zettle)."""
        if self._locations is None:
            response = self._call(self._inventory, "GET", "/organizations/self/locations")
            self._locations = {
                location.type: location.uuid for location in parse_list(TARGET, response, _LOCATIONS)
            }
        if location_type not in self._locations:
            raise TargetRejected(TARGET, f"Zettle has no {location_type} location", status=404)
        return self._locations[location_type]

    def balances(self, location_type: zettle.LocationType = "STORE") -> zettle.LocationBalances:
        """Return the balances of one location and the products Zettle tracks."""
        location = self.location_uuid(location_type)
        response = self._call(self._inventory, "GET", f"/organizations/self/inventory/locations/{location}")
        return parse_model(TARGET, response, zettle.LocationBalances)

    def move(
        self,
        changes: Sequence[Mapping[str, Any]],
        *,
        from_type: zettle.LocationType,
        to_type: zettle.LocationType,
        external_uuid: str,
    ) -> None:
        """Move variant quantities between two locations in one request, identified by `external_uuid`.

        Each change has `productUuid`, `variantUuid` and a positive `change`.
        """
        from_uuid = self.location_uuid(from_type)
        to_uuid = self.location_uuid(to_type)
        body = {
            "changes": [
                {**change, "fromLocationUuid": from_uuid, "toLocationUuid": to_uuid} for change in changes
            ],
            "externalUuid": external_uuid,
        }
        self._call(self._inventory, "PUT", "/organizations/self/inventory", json_body=body)

    # -- token and responses ----------------------------------------------------------------------

    def _call(
        self, http: JsonHttpClient, method: str, path: str, *, json_body: Any = None
    ) -> requests.Response:
        response = http.request(method, path, json_body=json_body, headers=self._authorization())
        if response.status_code == 401:
            # The token may have been revoked before its expiry: fetch a new one once.
            logger.warning("Zettle rejected the access token; fetching a new one", path=path)
            self._token = None
            response = http.request(method, path, json_body=json_body, headers=self._authorization())
            if response.status_code == 401:
                raise self._credentials_rejected("Zettle rejected a fresh access token (HTTP 401)", 401)
        if response.status_code == 403:
            raise self._credentials_rejected(
                "Zettle refused the call (HTTP 403): give the API key the READ:PRODUCT and"
                " WRITE:PRODUCT scopes",
                403,
            )
        if response.status_code >= 400:
            raise TargetRejected(
                TARGET, _error_message(response), status=response.status_code, code=_error_type(response)
            )
        return response

    def _authorization(self) -> dict[str, str]:
        if self._token is None or self._clock() >= self._token_expires_at:
            self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    def _fetch_token(self) -> None:
        form = urlencode(
            {
                "grant_type": ASSERTION_GRANT,
                "client_id": self._credentials.client_id,
                "assertion": self._credentials.api_key,
            }
        ).encode("ascii")
        response = self._oauth.request("POST", "/token", data=form)
        if response.status_code in (400, 401, 403):
            # OAuth answers a bad grant with 400 `invalid_grant` (RFC 6749, section 5.2).
            error = error_body(response).get("error")
            raise self._credentials_rejected(
                f"Zettle rejected the API key (HTTP {response.status_code} {error or 'no error code'}):"
                " create a new API key in Zettle and put it in the connection's secret",
                response.status_code,
            )
        if response.status_code >= 400:
            raise TargetUnavailable(
                TARGET,
                f"the Zettle token request failed with HTTP {response.status_code}",
                status=response.status_code,
            )
        token = parse_model(TARGET, response, zettle.AccessToken)
        self._token = token.access_token
        self._token_expires_at = self._clock() + max(token.expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, 0)
        logger.info("Zettle access token fetched", expires_in_seconds=token.expires_in)

    def _credentials_rejected(self, message: str, status: int) -> ZettleCredentialsRejected:
        self._token = None
        logger.error("Zettle credentials rejected", status=status)
        metrics.add_metric(name=CREDENTIALS_METRIC, unit="Count", value=1)
        return ZettleCredentialsRejected(TARGET, message, status=status)


def _http_client(base_url: str, headers: Mapping[str, str], settings: ZettleSettings) -> JsonHttpClient:
    return JsonHttpClient(
        TARGET,
        base_url,
        headers=headers,
        timeout_seconds=settings.timeout_seconds,
        max_attempts=settings.max_attempts,
    )


def whole_units(quantity: Decimal) -> int | None:
    """Return `quantity` as a whole number of units, or None when it has a fraction."""
    if quantity != quantity.to_integral_value():
        return None
    return int(quantity)


def _parse_library_page(response: requests.Response) -> list[dict[str, Any]]:
    """Return the products of one `LibraryResponse` page, with JSON decimals read as Decimal."""
    page = load_decimal_json(TARGET, response, b"{}")
    products = page.get("products", []) if isinstance(page, dict) else None
    if not isinstance(products, list):
        raise TargetRejected(
            TARGET, f"{request_path(response)} answer has no list of products", status=response.status_code
        )
    try:
        _PRODUCTS.validate_python(products)
    except ValidationError as error:
        raise model_mismatch(TARGET, response, error) from None
    return products


def _error_message(response: requests.Response) -> str:
    message = error_body(response).get("developerMessage")
    if isinstance(message, str) and message:
        return message
    return f"{request_path(response)} failed with HTTP {response.status_code}"


def _error_type(response: requests.Response) -> str | None:
    error_type = error_body(response).get("errorType")
    return str(error_type) if error_type is not None else None
