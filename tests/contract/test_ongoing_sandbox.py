"""Contract tests of the Ongoing sandbox: the vendor's example requests pass, requests off the contract fail.

Each test starts its own loopback sandbox and calls it with `requests`, as the connector does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from hub.connectors.ongoing import basic_authorization
from hubctl.sandboxes._http import dumps_json
from hubctl.sandboxes.ongoing import STATUS_LOCKED_FROM, OngoingContract, OngoingSandbox

USER = "test-user"
PASSWORD = "test-password"
GOODS_OWNER_ID = -1  # the value the vendor's collection gives {{GoodsOwnerId}}
TIMEOUT_SECONDS = 5.0
CONTRACT = OngoingContract()


@pytest.fixture
def sandbox() -> Iterator[OngoingSandbox]:
    with OngoingSandbox(USER, PASSWORD, GOODS_OWNER_ID, slow_seconds=1.0) as running:
        running.add_article("1009", "Example article 1009", {"DK1": 10})
        running.add_article("1005", "Example article 1005", {"DK1": 5})
        running.add_article("TestArticleNumber1", "Example article", {"DK1": 1})
        yield running


def _call(
    sandbox: OngoingSandbox, method: str, path: str, *, auth: str | None = None, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": auth or basic_authorization(USER, PASSWORD)}
    return requests.request(
        method, f"{sandbox.base_url}/test/api/v1{path}", headers=headers, timeout=TIMEOUT_SECONDS, **kwargs
    )


def _required_order() -> dict[str, Any]:
    body: dict[str, Any] = CONTRACT.example_body("Order/Create or update an order (only the required fields)")
    return body


def test_example_order_with_required_fields_is_accepted(sandbox: OngoingSandbox) -> None:
    response = _call(sandbox, "PUT", "/orders", json=_required_order())
    assert response.status_code == 200
    assert response.json()["orderId"] == 1


def test_example_order_with_many_fields_is_accepted(sandbox: OngoingSandbox) -> None:
    body = CONTRACT.example_body("Order/Create or update an order (with many additional fields)")
    assert _call(sandbox, "PUT", "/orders", json=body).status_code == 200


def test_example_return_order_is_accepted(sandbox: OngoingSandbox) -> None:
    order_id = _call(sandbox, "PUT", "/orders", json=_required_order()).json()["orderId"]
    body = CONTRACT.example_body("Return orders/Create or update a return order")
    body["customerOrder"]["orderId"] = order_id
    body["returnOrderLines"][0]["customerOrderLine"]["orderLineId"] = 1
    # The example returns 3 items; the example order's line 1 has 2.
    body["returnOrderLines"][0]["toBeReturnedNumberOfItems"] = 2
    response = _call(sandbox, "PUT", "/returnOrders", data=dumps_json(body).encode())
    assert response.status_code == 200


def test_put_order_twice_keeps_one_order(sandbox: OngoingSandbox) -> None:
    first = _call(sandbox, "PUT", "/orders", json=_required_order()).json()["orderId"]
    second = _call(sandbox, "PUT", "/orders", json=_required_order()).json()["orderId"]
    assert first == second
    assert len(sandbox.orders) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body.update(unknownField=1), "unknownField"),
        (lambda body: body["orderLines"][0].update(numberOfItems="2"), "orderLines[0].numberOfItems"),
        (lambda body: body["consignee"].pop("name"), "consignee.name"),
        (lambda body: body.update(deliveryDate="10/10/2019"), "deliveryDate"),
        (lambda body: body["orderLines"][1].update(rowNumber="1"), "orderLines[1].rowNumber"),
        (lambda body: body["orderLines"][0].update(articleNumber="NOPE"), "orderLines[0].articleNumber"),
        (lambda body: body["orderLines"][0].update(numberOfItems=0), "orderLines[0].numberOfItems"),
    ],
)
def test_order_off_contract_is_rejected(sandbox: OngoingSandbox, change: Any, field: str) -> None:
    body = _required_order()
    change(body)
    response = _call(sandbox, "PUT", "/orders", json=body)
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_wrong_credentials_get_401(sandbox: OngoingSandbox) -> None:
    response = _call(
        sandbox, "PUT", "/orders", json=_required_order(), auth=basic_authorization(USER, "wrong")
    )
    assert response.status_code == 401


def test_other_goods_owner_gets_403(sandbox: OngoingSandbox) -> None:
    body = {**_required_order(), "goodsOwnerId": 5}
    assert _call(sandbox, "PUT", "/orders", json=body).status_code == 403


def test_unknown_query_parameter_is_rejected(sandbox: OngoingSandbox) -> None:
    response = _call(sandbox, "GET", "/orders", params={"goodsOwnerId": GOODS_OWNER_ID, "customerName": "x"})
    assert response.status_code == 400


def test_documented_paging_parameters_are_accepted(sandbox: OngoingSandbox) -> None:
    params = {
        "goodsOwnerId": GOODS_OWNER_ID,
        "shippedTimeFrom": "2026-12-01T00:00:00+00:00",
        "orderIdFrom": 1,
        "maxOrdersToGet": 10,
    }
    assert _call(sandbox, "GET", "/orders", params=params).status_code == 200


def test_shipped_time_without_offset_is_rejected(sandbox: OngoingSandbox) -> None:
    params = {"goodsOwnerId": GOODS_OWNER_ID, "shippedTimeFrom": "2026-12-01T00:00:00"}
    assert _call(sandbox, "GET", "/orders", params=params).status_code == 400


def test_change_after_release_is_rejected(sandbox: OngoingSandbox) -> None:
    _call(sandbox, "PUT", "/orders", json=_required_order())
    sandbox.set_order_status("O987654", STATUS_LOCKED_FROM)
    assert _call(sandbox, "PUT", "/orders", json=_required_order()).status_code == 400


def test_cancel_after_release_is_rejected(sandbox: OngoingSandbox) -> None:
    order_id = _call(sandbox, "PUT", "/orders", json=_required_order()).json()["orderId"]
    sandbox.set_order_status("O987654", STATUS_LOCKED_FROM)
    assert _call(sandbox, "DELETE", f"/orders/{order_id}").status_code == 400


def test_cancel_open_order(sandbox: OngoingSandbox) -> None:
    order_id = _call(sandbox, "PUT", "/orders", json=_required_order()).json()["orderId"]
    _call(sandbox, "DELETE", f"/orders/{order_id}")
    assert sandbox.orders["O987654"]["orderInfo"]["orderStatus"] == {"number": 1000, "text": "Cancelled"}


def test_statuses_come_from_vendor_list() -> None:
    assert CONTRACT.status_texts[400] == "Picked"


def test_every_contract_rejection_is_recorded(sandbox: OngoingSandbox) -> None:
    _call(sandbox, "PUT", "/orders", json={**_required_order(), "unknownField": 1})
    assert len(sandbox.rejections) == 1


def test_fault_injection_applies(sandbox: OngoingSandbox) -> None:
    sandbox.inject_fault("GET", "/test/api/v1/orders", "http_503")
    response = _call(sandbox, "GET", "/orders", params={"goodsOwnerId": GOODS_OWNER_ID, "orderNumber": "x"})
    assert response.status_code == 503


def test_article_change_filter_is_accepted(sandbox: OngoingSandbox) -> None:
    params = {"goodsOwnerId": GOODS_OWNER_ID, "articleDataLastUpdatedFrom": "2026-12-01T00:00:00+00:00"}
    assert _call(sandbox, "GET", "/articles", params=params).status_code == 200


def test_article_change_filter_without_offset_is_rejected(sandbox: OngoingSandbox) -> None:
    params = {"goodsOwnerId": GOODS_OWNER_ID, "articleDataLastUpdatedFrom": "2026-12-01T00:00:00"}
    assert _call(sandbox, "GET", "/articles", params=params).status_code == 400


def test_article_paging_rejects_non_number(sandbox: OngoingSandbox) -> None:
    params = {"goodsOwnerId": GOODS_OWNER_ID, "articleSystemIdFrom": "first"}
    assert _call(sandbox, "GET", "/articles", params=params).status_code == 400


def test_article_change_filter_selects_changed(sandbox: OngoingSandbox) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    sandbox.update_article("1005", customerPrice=12, updated_at=later)
    since = (later - timedelta(hours=1)).isoformat()
    response = _call(
        sandbox,
        "GET",
        "/articles",
        params={"goodsOwnerId": GOODS_OWNER_ID, "articleDataLastUpdatedFrom": since},
    )
    assert [article["articleNumber"] for article in response.json()] == ["1005"]


def test_article_field_outside_example_is_refused(sandbox: OngoingSandbox) -> None:
    with pytest.raises(ValueError, match="isBeer"):
        sandbox.add_article("X1", "Unknown field", isBeer=True)
