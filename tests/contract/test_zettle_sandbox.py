"""The Zettle sandbox checks product requests against the vendor's Product Library OpenAPI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hubctl.sandboxes.zettle import ASSERTION_GRANT, ZettleSandbox

CLIENT_ID = "test-client"
API_KEY = "test-api-key"


@pytest.fixture
def zettle() -> Iterator[ZettleSandbox]:
    with ZettleSandbox(CLIENT_ID, API_KEY) as sandbox:
        yield sandbox


def _token(zettle: ZettleSandbox, api_key: str = API_KEY) -> requests.Response:
    form = {"grant_type": ASSERTION_GRANT, "client_id": CLIENT_ID, "assertion": api_key}
    return requests.post(f"{zettle.base_url}/token", data=form, timeout=5)


def _post_product(zettle: ZettleSandbox, body: Any) -> requests.Response:
    token = _token(zettle).json()["access_token"]
    return requests.post(
        f"{zettle.base_url}/organizations/self/products",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_assertion_grant_issues_token(zettle: ZettleSandbox) -> None:
    response = _token(zettle)
    assert (response.status_code, response.json()["expires_in"]) == (200, 7200)


def test_wrong_api_key_gets_invalid_grant(zettle: ZettleSandbox) -> None:
    response = _token(zettle, "wrong-key")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_valid_product_is_created(zettle: ZettleSandbox) -> None:
    body = {
        "uuid": str(uuid.uuid4()),
        "name": "Test Ale",
        "variants": [{"uuid": str(uuid.uuid4()), "sku": "T-1"}],
    }
    assert _post_product(zettle, body).status_code == 201


def test_product_without_uuid_is_rejected(zettle: ZettleSandbox) -> None:
    response = _post_product(zettle, {"name": "Test Ale"})
    assert response.status_code == 400
    assert any("uuid" in violation["developerMessage"] for violation in response.json()["violations"])


def test_product_with_wrong_price_type_is_rejected(zettle: ZettleSandbox) -> None:
    variant = {"uuid": str(uuid.uuid4()), "price": {"amount": "35.00", "currencyId": "DKK"}}
    response = _post_product(zettle, {"uuid": str(uuid.uuid4()), "name": "Test Ale", "variants": [variant]})
    assert response.status_code == 400
    assert [violation["propertyName"] for violation in response.json()["violations"]] == [
        "variants.0.price.amount"
    ]


def test_overlong_sku_is_rejected(zettle: ZettleSandbox) -> None:
    variant = {"uuid": str(uuid.uuid4()), "sku": "S" * 65}
    response = _post_product(zettle, {"uuid": str(uuid.uuid4()), "name": "Test Ale", "variants": [variant]})
    assert response.status_code == 400


def test_call_without_token_gets_401(zettle: ZettleSandbox) -> None:
    response = requests.get(f"{zettle.base_url}/organizations/self/products/v2", timeout=5)
    assert response.status_code == 401


def test_seeded_products_pass_product_response(zettle: ZettleSandbox) -> None:
    zettle.add_product("Test Ale", {"T-1": 10, "T-2": None})
    token = _token(zettle).json()["access_token"]
    response = requests.get(
        f"{zettle.base_url}/organizations/self/products/v2",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    products = response.json()
    assert (response.status_code, [variant["sku"] for variant in products[0]["variants"]]) == (
        200,
        ["T-1", "T-2"],
    )
    assert zettle.contract.errors("ProductResponse", products[0]) == []


def _get_library(zettle: ZettleSandbox, params: dict[str, Any]) -> requests.Response:
    token = _token(zettle).json()["access_token"]
    return requests.get(
        f"{zettle.base_url}/organizations/self/library",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_library_unknown_parameter_is_rejected(zettle: ZettleSandbox) -> None:
    assert _get_library(zettle, {"pageSize": 10}).status_code == 400


@pytest.mark.parametrize("limit", ["0", "501", "ten"])
def test_library_limit_out_of_range_is_rejected(zettle: ZettleSandbox, limit: str) -> None:
    assert _get_library(zettle, {"limit": limit}).status_code == 400


def test_library_links_next_page(zettle: ZettleSandbox) -> None:
    zettle.add_library_product("Pale Ale", [{"sku": "PALE-33CL"}])
    zettle.add_library_product("Porter", [{"sku": "PORTER-33CL"}])
    response = _get_library(zettle, {"limit": 1})
    assert len(response.json()["products"]) == 1
    assert response.links["next"]["url"] == f"{zettle.base_url}/organizations/self/library?limit=1&offset=1"


def test_library_last_page_has_no_link(zettle: ZettleSandbox) -> None:
    zettle.add_library_product("Pale Ale", [{"sku": "PALE-33CL"}])
    response = _get_library(zettle, {"limit": 1})
    assert "next" not in response.links


def test_library_product_off_schema_is_refused(zettle: ZettleSandbox) -> None:
    with pytest.raises(ValueError, match="ProductCreateRequest"):
        zettle.add_library_product(
            "Pale Ale", [{"sku": "PALE-33CL", "price": {"amount": -1, "currencyId": "DKK"}}]
        )
