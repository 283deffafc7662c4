"""Client for Visma e-conomic's REST API (restapi.e-conomic.com).

Every call carries the two token headers: `X-AppSecretToken` (the hub's app) and
`X-AgreementGrantToken` (the maker's agreement). A 400 body's `errors` object mirrors the
request, so a rejection is mapped back to the path of the field we sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

import requests

from hub.connectors.http import JsonHttpClient
from hub.errors import TargetRejected, TargetUnavailable
from hub.secrets import EconomicCredentials

TARGET = "economic"
# e-conomic's maximum page size, so a catalogue of 20,000 products takes 20 requests.
PRODUCT_PAGE_SIZE = 1000
DRAFT_INVOICES = "/invoices/drafts"
DRAFT_ORDERS = "/orders/drafts"
MAX_PAGE_SIZE = 1000  # e-conomic's maximum `pagesize`
# NOTE: e-conomic documents no maximum filter length. 20 `productNumber$eq:` terms keep the
# URL of one product lookup under about 2,000 characters.
PRODUCT_LOOKUP_CHUNK = 20

# e-conomic's own encoding of special characters in ids inside a URL path (its self links).
_PATH_ESCAPES = {
    "<": "_0_", ">": "_1_", "*": "_2_", "%": "_3_", ":": "_4_", "&": "_5_", "/": "_6_",
    "\\": "_7_", "_": "_8_", " ": "_9_", "?": "_10_", ".": "_11_", "#": "_12_", "+": "_13_",
}  # fmt: skip
# Characters that must be escaped with `$` inside a filter value.
_FILTER_ESCAPES = {"$": "$$", "(": "$(", ")": "$)", "*": "$*", ",": "$,", "[": "$[", "]": "$]"}


def encode_product_number(product_number: str) -> str:
    """Encode a product number for use as a URL path segment, as e-conomic's self links do."""
    escaped = "".join(_PATH_ESCAPES.get(character, character) for character in product_number)
    return quote(escaped, safe="")


def filter_equals(field: str, value: str | int) -> str:
    """Return an e-conomic filter `field$eq:value` with the value's special characters escaped."""
    text = "".join(_FILTER_ESCAPES.get(character, character) for character in str(value))
    return f"{field}$eq:{text}"


class EconomicClient:
    """The e-conomic calls the hub makes. Methods return e-conomic's JSON as dicts."""

    def __init__(
        self,
        base_url: str,
        credentials: EconomicCredentials,
        *,
        timeout_seconds: float,
        max_attempts: int,
        http: JsonHttpClient | None = None,
    ) -> None:
        self._http = http or JsonHttpClient(
            TARGET,
            base_url,
            headers={
                "X-AppSecretToken": credentials.app_secret_token,
                "X-AgreementGrantToken": credentials.agreement_grant_token,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            timeout_seconds=timeout_seconds,
            max_attempts=max_attempts,
        )

    def find_customer(self, filter_expression: str) -> dict[str, Any] | None:
        """Return the customer with the lowest number that matches the filter, or None."""
        return self._find_first("/customers", filter_expression, sort="customerNumber")

    def create_customer(self, customer: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "/customers", customer)

    def get_product(self, product_number: str) -> dict[str, Any] | None:
        """Return the product, or None when e-conomic has no product with that number."""
        response = self._http.request("GET", f"/products/{encode_product_number(product_number)}")
        if response.status_code == 404:
            return None
        return _json_or_raise(response)

    def list_products(self, *, page_size: int = PRODUCT_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        """Yield every product, page by page in product number order (`skippages` and `pagesize`).

        NOTE: offset paging can skip a product when one before it is deleted while the pages
        are read. The next full read finds it.
        """
        skip_pages = 0
        while True:
            params: dict[str, str | int] = {
                "skippages": skip_pages,
                "pagesize": page_size,
                "sort": "productNumber",
            }
            body = _json_or_raise(self._http.request("GET", "/products", params=params))
            collection = body.get("collection", [])
            yield from collection
            if not collection or "nextPage" not in body.get("pagination", {}):
                return
            skip_pages += 1

    def find_products(self, product_numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return the existing products among these numbers, by number, with one request per 20 numbers.

        Only exact matches count: e-conomic's `$eq:` ignores case, and an invoice line must
        name its product by the exact number.
        """
        requested = set(product_numbers)
        found: dict[str, dict[str, Any]] = {}
        ordered = sorted(requested)
        for start in range(0, len(ordered), PRODUCT_LOOKUP_CHUNK):
            chunk = ordered[start : start + PRODUCT_LOOKUP_CHUNK]
            expression = "$or:".join(filter_equals("productNumber", number) for number in chunk)
            for product in self._find_all("/products", expression):
                if product.get("productNumber") in requested:
                    found[str(product["productNumber"])] = product
        return found

    def create_product(self, product: dict[str, Any]) -> dict[str, Any]:
        return self._write("POST", "/products", product)

    def update_customer(self, customer_number: int, customer: dict[str, Any]) -> dict[str, Any]:
        """Replace the customer with `customer` (PUT replaces every field)."""
        return self._write("PUT", f"/customers/{customer_number}", customer)

    def get_customer(self, customer_number: int) -> dict[str, Any] | None:
        response = self._http.request("GET", f"/customers/{customer_number}")
        if response.status_code == 404:
            return None
        return _json_or_raise(response)

    def find_draft(self, reference: str, *, drafts_path: str = DRAFT_INVOICES) -> dict[str, Any] | None:
        """Return the draft invoice (or draft order) whose `references.other` equals `reference`, or None."""
        return self._find_first(drafts_path, filter_equals("references.other", reference))

    def find_booked_invoice(self, reference: str) -> dict[str, Any] | None:
        """Return the booked invoice whose `references.other` equals `reference`, or None."""
        return self._find_first("/invoices/booked", filter_equals("references.other", reference))

    def get_booked_invoice(self, booked_invoice_number: int) -> dict[str, Any] | None:
        response = self._http.request("GET", f"/invoices/booked/{booked_invoice_number}")
        if response.status_code == 404:
            return None
        return _json_or_raise(response)

    def create_draft(self, draft: dict[str, Any], *, drafts_path: str = DRAFT_INVOICES) -> dict[str, Any]:
        return self._write("POST", drafts_path, draft)

    def update_draft(
        self, number: int, draft: dict[str, Any], *, drafts_path: str = DRAFT_INVOICES
    ) -> dict[str, Any]:
        """Replace an unbooked draft with `draft` (PUT replaces every field)."""
        return self._write("PUT", f"{drafts_path}/{number}", draft)

    def delete_draft(self, number: int, *, drafts_path: str = DRAFT_INVOICES) -> None:
        """Delete an unbooked draft. A draft that is already gone counts as deleted."""
        response = self._http.request("DELETE", f"{drafts_path}/{number}")
        if response.status_code not in (204, 404):
            _json_or_raise(response)

    def book_draft_invoice(self, draft_invoice_number: int) -> dict[str, Any]:
        """Book the draft. e-conomic consumes the draft and returns the booked invoice."""
        return self._write(
            "POST", "/invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft_invoice_number}}
        )

    def _find_first(
        self, path: str, filter_expression: str, *, sort: str | None = None
    ) -> dict[str, Any] | None:
        params: dict[str, str | int] = {"filter": filter_expression, "pagesize": 1}
        if sort:
            params["sort"] = sort
        body = _json_or_raise(self._http.request("GET", path, params=params))
        collection = body.get("collection", [])
        return collection[0] if collection else None

    def _find_all(self, path: str, filter_expression: str) -> list[dict[str, Any]]:
        """Return every document that matches the filter, page by page."""
        found: list[dict[str, Any]] = []
        page = 0
        while True:
            params: dict[str, str | int] = {
                "filter": filter_expression,
                "pagesize": MAX_PAGE_SIZE,
                "skippages": page,
            }
            body = _json_or_raise(self._http.request("GET", path, params=params))
            collection = body.get("collection", [])
            found.extend(collection)
            if not collection or "nextPage" not in body.get("pagination", {}):
                return found
            page += 1

    def _write(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json_or_raise(self._http.request(method, path, json_body=body))


def _json_or_raise(response: requests.Response) -> dict[str, Any]:
    if response.status_code < 400:
        body: dict[str, Any] = response.json()
        return body
    if response.status_code in (401, 403):
        # Revoked or wrong tokens: every order fails until someone fixes the secret, so
        # the message stays queued for retry and the DLQ alarm fires rather than each
        # order being marked failed.
        raise TargetUnavailable(
            TARGET,
            f"e-conomic rejected the credentials (HTTP {response.status_code})",
            status=response.status_code,
        )
    raise rejection_from_response(response)


def rejection_from_response(response: requests.Response) -> TargetRejected:
    """Map an e-conomic 4xx to TargetRejected, naming the field its `errors` object points at."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    field, code, field_message = _first_field_error(body.get("errors"))
    message = field_message or body.get("message") or f"HTTP {response.status_code}"
    return TargetRejected(
        TARGET,
        str(message),
        status=response.status_code,
        code=code or body.get("errorCode"),
        field=field,
        log_id=body.get("logId"),
    )


def _first_field_error(errors: Any, path: str = "") -> tuple[str | None, str | None, str | None]:
    """Walk e-conomic's `errors` object (shaped like the request) to the first failing field."""
    if not isinstance(errors, dict):
        return None, None, None
    own = errors.get("errors")
    if isinstance(own, list) and own and isinstance(own[0], dict):
        return path or None, own[0].get("errorCode"), own[0].get("message") or own[0].get("errorMessage")
    for key, value in errors.items():
        if key == "errors":
            continue
        if isinstance(value, list):
            for element in value:
                if isinstance(element, dict):
                    index = element.get("arrayIndex", 0)
                    found = _first_field_error(element, f"{_join(path, key)}[{index}]")
                    if found[0] is not None:
                        return found
        elif isinstance(value, dict):
            found = _first_field_error(value, _join(path, key))
            if found[0] is not None:
                return found
    return None, None, None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
