"""Warehouse shipments into Bemakers: partial and complete shipments, exactly once, bad input, outages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.flows.fulfillment_import import CURSOR_NAME
from hub.ledger import TransferState
from hub.runtime import get_runtime
from hubctl.demo import DEMO_CONNECTION, DEMO_GOODS_OWNER_ID, DemoEnvironment
from hubctl.local import FULFILLMENT_FUNCTION
from tests.integration.helpers import sample_delivery
from tests.samples import BUSINESS_SE, CONSUMER_DK

SHIPPED = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def sent(environment: DemoEnvironment) -> DemoEnvironment:
    """Orders 1001 (6 x IPA-33CL) and 1003 (12 x GIN-70CL) in the warehouse and in Bemakers."""
    environment.seed_bemakers_orders()
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(BUSINESS_SE))
    environment.hub.drain_queue()
    return environment


def _ship(
    environment: DemoEnvironment, number: str, parcel: str, lines: dict[str, int], minutes: int = 0
) -> None:
    environment.ongoing.ship_parcel(
        number,
        parcel,
        lines,
        shipped_time=SHIPPED + timedelta(minutes=minutes),
        tracking_url=f"https://tracking.example/{parcel}",
    )


def _import(environment: DemoEnvironment) -> dict[str, Any]:
    result: dict[str, Any] = environment.hub.run_schedule(FULFILLMENT_FUNCTION)
    return result


def _fulfillments(environment: DemoEnvironment, order_id: str = "ord_1001") -> list[dict[str, Any]]:
    return environment.bemakers.fulfillments.get(order_id, [])


def _ongoing_id(environment: DemoEnvironment, number: str) -> int:
    return int(environment.ongoing.orders[number]["orderInfo"]["orderId"])


def _cursor() -> datetime | None:
    return get_runtime().cursors.get(DEMO_CONNECTION, CURSOR_NAME)


# -- partial and complete shipments ---------------------------------------------------------------


def test_partial_shipment_posts_partially_fulfilled(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 2})
    _import(sent)
    assert [item["status"] for item in _fulfillments(sent)] == ["partially_fulfilled"]
    assert sent.bemakers.orders["ord_1001"]["status"] == "partially_fulfilled"


def test_fulfillment_carries_tracking_and_quantities(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 2})
    _import(sent)
    (fulfillment,) = _fulfillments(sent)
    assert fulfillment["carrier"] == "GLS"
    assert fulfillment["tracking"] == [{"number": "P1", "url": "https://tracking.example/P1"}]
    assert fulfillment["lines"] == [{"order_line_id": "ol_1", "quantity": 2}]
    assert fulfillment["shipped_at"] == "2026-12-02T12:00:00Z"


def test_last_parcel_makes_order_fulfilled(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 2})
    _import(sent)
    _ship(sent, "1001", "P2", {"ol_1": 4}, minutes=30)
    _import(sent)
    assert [item["status"] for item in _fulfillments(sent)] == ["partially_fulfilled", "fulfilled"]
    assert sent.bemakers.orders["ord_1001"]["status"] == "fulfilled"


def test_two_parcels_in_one_run_are_ordered(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P2", {"ol_1": 4}, minutes=30)
    _ship(sent, "1001", "P1", {"ol_1": 2}, minutes=0)
    _import(sent)
    assert [item["tracking"][0]["number"] for item in _fulfillments(sent)] == ["P1", "P2"]


def test_complete_shipment_in_one_parcel(sent: DemoEnvironment) -> None:
    _ship(sent, "1003", "P3", {"ol_1": 12})
    _import(sent)
    assert [item["status"] for item in _fulfillments(sent, "ord_1003")] == ["fulfilled"]


def test_shipment_recorded_in_ledger(sent: DemoEnvironment) -> None:
    _ship(sent, "1003", "P3", {"ol_1": 12})
    _import(sent)
    record = sent.ledger.get(DEMO_CONNECTION, "shipment", f"{_ongoing_id(sent, '1003')}-1", "bemakers")
    assert record is not None
    assert record.state is TransferState.TRANSFERRED
    assert record.documents["status"] == "fulfilled"


# -- exactly once ---------------------------------------------------------------------------------


def test_duplicate_run_posts_nothing(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    first = _import(sent)
    second = _import(sent)
    assert (first["fulfillments_posted"], second["fulfillments_posted"]) == (1, 0)
    assert len(_fulfillments(sent)) == 1


def test_webhook_then_schedule_posts_once(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    response = sent.deliver_ongoing_webhook(
        {"orderId": _ongoing_id(sent, "1001"), "goodsOwnerId": DEMO_GOODS_OWNER_ID}
    )
    _import(sent)
    assert json.loads(response["body"])["fulfillments_posted"] == 1
    assert len(_fulfillments(sent)) == 1


def test_post_accepted_then_failed_is_adopted(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    sent.bemakers.inject_fault("POST", "/v1/orders/ord_1001/fulfillments", "accepted_then_500")
    with pytest.raises(Exception, match="fulfillment import failed"):
        _import(sent)
    _import(sent)
    assert len(_fulfillments(sent)) == 1
    record = sent.ledger.get(DEMO_CONNECTION, "shipment", f"{_ongoing_id(sent, '1001')}-1", "bemakers")
    assert record is not None
    assert record.documents["fulfillment_id"] == _fulfillments(sent)[0]["id"]


def test_failed_post_keeps_cursor(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    sent.bemakers.inject_fault("POST", "/v1/orders/ord_1001/fulfillments", "http_503")
    with pytest.raises(Exception, match="fulfillment import failed"):
        _import(sent)
    assert _cursor() is None


# -- bad input ------------------------------------------------------------------------------------


def test_unknown_order_is_counted_and_passed_over(sent: DemoEnvironment) -> None:
    sent.ongoing.add_foreign_order("X-1", shipped_time=SHIPPED)
    _ship(sent, "1001", "P1", {"ol_1": 6})
    result = _import(sent)
    assert result["unknown_orders"] == 1
    assert result["fulfillments_posted"] == 1


def test_unknown_order_counted_in_metric(sent: DemoEnvironment, capfd: pytest.CaptureFixture[str]) -> None:
    sent.ongoing.add_foreign_order("X-1", shipped_time=SHIPPED)
    capfd.readouterr()
    _import(sent)
    assert '"UnknownShipmentOrders"' in capfd.readouterr().out


def test_rejected_fulfillment_does_not_stop_run(sent: DemoEnvironment) -> None:
    # Bemakers no longer has order 1001, so its fulfillment is rejected, and 1003 still arrives.
    sent.bemakers._orders.pop("ord_1001")
    _ship(sent, "1001", "P1", {"ol_1": 6})
    _ship(sent, "1003", "P3", {"ol_1": 12})
    _import(sent)
    record = sent.ledger.get(DEMO_CONNECTION, "shipment", f"{_ongoing_id(sent, '1001')}-1", "bemakers")
    assert record is not None
    assert record.state is TransferState.FAILED
    assert len(_fulfillments(sent, "ord_1003")) == 1


def test_malformed_webhook_is_rejected(sent: DemoEnvironment, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    response = sent.deliver_ongoing_webhook({"orderNumber": "1001"})
    assert response["statusCode"] == 400
    assert '"OngoingWebhooksRejected"' in capfd.readouterr().out


def test_webhook_with_wrong_password_is_rejected(sent: DemoEnvironment) -> None:
    response = sent.deliver_ongoing_webhook({"orderId": 1}, password="not-the-webhook-password")
    assert response["statusCode"] == 401


def test_webhook_for_unknown_connection_is_rejected(sent: DemoEnvironment) -> None:
    response = sent.deliver_ongoing_webhook({"orderId": 1}, connection_id="unknown-shop")
    assert response["statusCode"] == 404


def test_webhook_for_missing_order_is_accepted(sent: DemoEnvironment) -> None:
    response = sent.deliver_ongoing_webhook({"orderId": 999})
    assert (response["statusCode"], json.loads(response["body"])["status"]) == (200, "unknown order")


# -- outages and cursors --------------------------------------------------------------------------


def test_warehouse_down_leaves_cursor(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    sent.ongoing.inject_fault("GET", "/demo-3pl/api/v1/orders", "http_503", times=4)
    with pytest.raises(Exception, match="fulfillment import failed"):
        _import(sent)
    assert _cursor() is None
    assert _fulfillments(sent) == []


def test_next_run_catches_up_after_outage(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 6})
    sent.ongoing.inject_fault("GET", "/demo-3pl/api/v1/orders", "http_503", times=4)
    with pytest.raises(Exception, match="fulfillment import failed"):
        _import(sent)
    _import(sent)
    assert len(_fulfillments(sent)) == 1
    assert _cursor() == SHIPPED


def test_cursor_moves_to_latest_shipment(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 2})
    _ship(sent, "1003", "P3", {"ol_1": 12}, minutes=45)
    _import(sent)
    assert _cursor() == SHIPPED + timedelta(minutes=45)


def test_fulfillment_requests_pass_the_contract(sent: DemoEnvironment) -> None:
    _ship(sent, "1001", "P1", {"ol_1": 2})
    _import(sent)
    sent.deliver_ongoing_webhook({"orderId": _ongoing_id(sent, "1001")})
    assert sent.ongoing.rejections == []
