"""Orders and returns to Ongoing WMS through the order transfer: content, updates, refusals, cancellation."""

from __future__ import annotations

from typing import Any

import pytest

from hub.ledger import TransferState
from hubctl.demo import DemoEnvironment
from hubctl.sandboxes.ongoing import STATUS_PICKED
from tests.integration.helpers import delivery_for, ledger_state, sample_delivery
from tests.samples import BUSINESS_DK, CONSUMER_DK, PAID, WAITING, order_payload


def _order_event(payload: dict[str, Any], updated_at: str, **changes: Any) -> dict[str, Any]:
    data = {**payload, "updated_at": updated_at, **changes}
    return {"id": f"evt_{updated_at}", "type": "order.updated", "created_at": updated_at, "data": data}


def _send(environment: DemoEnvironment, body: dict[str, Any]) -> None:
    environment.deliver(delivery_for(body, body["id"]))
    environment.hub.drain_queue("OrdersQueue")
    environment.hub.drain_queue("CreditNotesQueue")


def _warehouse_order(environment: DemoEnvironment, number: str) -> dict[str, Any]:
    return environment.ongoing.orders[number]


@pytest.fixture
def consumer_order_sent(environment: DemoEnvironment) -> DemoEnvironment:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    return environment


def test_confirmed_order_reaches_warehouse(consumer_order_sent: DemoEnvironment) -> None:
    assert list(consumer_order_sent.ongoing.orders) == ["1001"]


def test_warehouse_order_keyed_by_bemakers_ids(consumer_order_sent: DemoEnvironment) -> None:
    info = _warehouse_order(consumer_order_sent, "1001")["orderInfo"]
    assert (info["orderNumber"], info["goodsOwnerOrderId"]) == ("1001", "ord_1001")


def test_warehouse_order_lines_are_product_lines_only(consumer_order_sent: DemoEnvironment) -> None:
    lines = _warehouse_order(consumer_order_sent, "1001")["orderLines"]
    assert [
        (line["rowNumber"], line["article"]["articleNumber"], line["orderedNumberOfItems"]) for line in lines
    ] == [("ol_1", "IPA-33CL", 6)]


def test_warehouse_order_carries_consignee_and_notifications(consumer_order_sent: DemoEnvironment) -> None:
    order = _warehouse_order(consumer_order_sent, "1001")
    assert order["consignee"] == {
        "customerNumber": "cus_c1001",
        "name": "Test Person Ærø",
        "address1": "Testvej 1",
        "postCode": "8000",
        "city": "Aarhus C",
        "countryCode": "DK",
    }
    assert order["emailNotification"] == {"toBeNotified": True, "value": "test.person@example.com"}
    assert order["smsNotification"] == {"toBeNotified": True, "value": "+45 00 00 00 01"}


def test_shipping_method_maps_to_way_of_delivery(consumer_order_sent: DemoEnvironment) -> None:
    order = _warehouse_order(consumer_order_sent, "1001")
    assert order["wayOfDelivery"]["code"] == "PARCELSHOP"
    assert order["transporter"] == {"transporterCode": "GLS", "transporterServiceCode": "PS"}


def test_ledger_records_warehouse_order(consumer_order_sent: DemoEnvironment) -> None:
    record = ledger_state("ord_1001", "ongoing")
    assert record.state is TransferState.TRANSFERRED
    assert record.documents == {"order_number": "1001", "order_id": "1", "warehouse_status": "Open"}


def test_order_waiting_for_payment_is_not_sent(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    assert environment.ongoing.orders == {}
    assert ledger_state("ord_1004", "ongoing").state is TransferState.WAITING


def test_paid_order_is_sent(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue()
    assert list(environment.ongoing.orders) == ["1004"]


def test_completed_order_is_not_a_warehouse_trigger(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(BUSINESS_DK))
    environment.hub.drain_queue()
    assert ledger_state("ord_1002", "ongoing").state is TransferState.WAITING


def test_order_from_other_warehouse_is_skipped(environment: DemoEnvironment) -> None:
    _send(
        environment,
        _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", fulfilled_from="other-3pl"),
    )
    assert environment.ongoing.orders == {}
    assert ledger_state("ord_1001", "ongoing").state is TransferState.SKIPPED


def test_unmapped_shipping_method_uses_default_delivery(environment: DemoEnvironment) -> None:
    _send(
        environment, _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", shipping_method="drone")
    )
    assert _warehouse_order(environment, "1001")["transporter"]["transporterCode"] == "PN"


def test_unknown_article_is_recorded_as_failed(environment: DemoEnvironment) -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["sku"] = "NOT-IN-WAREHOUSE"
    _send(environment, _order_event(payload, "2026-12-01T00:00:00Z"))
    record = ledger_state("ord_1001", "ongoing")
    assert record.state is TransferState.FAILED
    assert record.error.status == 400


def test_same_order_twice_gives_one_warehouse_order(environment: DemoEnvironment) -> None:
    body = _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z")
    _send(environment, body)
    _send(environment, {**body, "id": "evt_again"})
    assert len(environment.ongoing.orders) == 1


# -- updates and the picking boundary ---------------------------------------------------------


def test_update_before_picking_is_resent(consumer_order_sent: DemoEnvironment) -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["quantity"] = 8
    _send(consumer_order_sent, _order_event(payload, "2026-12-01T00:00:00Z"))
    assert _warehouse_order(consumer_order_sent, "1001")["orderLines"][0]["orderedNumberOfItems"] == 8


def test_change_after_picking_is_refused(consumer_order_sent: DemoEnvironment) -> None:
    consumer_order_sent.ongoing.set_order_status("1001", STATUS_PICKED)
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["quantity"] = 8
    _send(consumer_order_sent, _order_event(payload, "2026-12-01T00:00:00Z"))
    record = ledger_state("ord_1001", "ongoing")
    assert record.state is TransferState.FAILED
    assert record.error.code == "warehouse_locked"
    assert "status 400 Picked" in record.error.message
    assert "lines" in record.error.message


def test_change_after_picking_leaves_warehouse_order(consumer_order_sent: DemoEnvironment) -> None:
    consumer_order_sent.ongoing.set_order_status("1001", STATUS_PICKED)
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["quantity"] = 8
    _send(consumer_order_sent, _order_event(payload, "2026-12-01T00:00:00Z"))
    assert _warehouse_order(consumer_order_sent, "1001")["orderLines"][0]["orderedNumberOfItems"] == 6


def test_refused_change_emits_alarm_metric(
    consumer_order_sent: DemoEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    consumer_order_sent.ongoing.set_order_status("1001", STATUS_PICKED)
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["quantity"] = 8
    _send(consumer_order_sent, _order_event(payload, "2026-12-01T00:00:00Z"))
    assert '"WarehouseChangesRefused"' in capfd.readouterr().out


def test_unchanged_order_after_picking_is_adopted(consumer_order_sent: DemoEnvironment) -> None:
    consumer_order_sent.ongoing.set_order_status("1001", STATUS_PICKED)
    _send(consumer_order_sent, _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z"))
    record = ledger_state("ord_1001", "ongoing")
    assert record.state is TransferState.TRANSFERRED
    assert record.documents["warehouse_status"] == "Picked"


# -- cancellation ---------------------------------------------------------------------------------


def test_cancellation_cancels_warehouse_order(consumer_order_sent: DemoEnvironment) -> None:
    _send(
        consumer_order_sent,
        _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", status="cancelled"),
    )
    assert _warehouse_order(consumer_order_sent, "1001")["orderInfo"]["orderStatus"]["text"] == "Cancelled"
    assert ledger_state("ord_1001", "ongoing").documents["warehouse_status"] == "Cancelled"


def test_cancellation_after_picking_records_why(consumer_order_sent: DemoEnvironment) -> None:
    consumer_order_sent.ongoing.set_order_status("1001", STATUS_PICKED)
    _send(
        consumer_order_sent,
        _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", status="cancelled"),
    )
    record = ledger_state("ord_1001", "ongoing")
    assert record.state is TransferState.FAILED
    assert "could not be cancelled" in record.error.message


def test_cancellation_of_unsent_order_sends_nothing(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    _send(environment, _order_event(order_payload(WAITING), "2026-12-03T00:00:00Z", status="cancelled"))
    assert environment.ongoing.orders == {}
    assert ledger_state("ord_1004", "ongoing").state is TransferState.SKIPPED


def test_cancelled_order_is_not_reopened(consumer_order_sent: DemoEnvironment) -> None:
    _send(
        consumer_order_sent,
        _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", status="cancelled"),
    )
    _send(consumer_order_sent, _order_event(order_payload(CONSUMER_DK), "2026-12-02T00:00:00Z"))
    assert ledger_state("ord_1001", "ongoing").state is TransferState.FAILED


# -- returns --------------------------------------------------------------------------------------


def _credit_note(*, restock: bool, updated_at: str = "2026-12-03T10:00:00Z") -> dict[str, Any]:
    return {
        "id": f"evt_cn_{updated_at}",
        "type": "credit_note.created",
        "created_at": updated_at,
        "data": {
            "id": "cn_1",
            "number": "CN-1",
            "order_id": "ord_1001",
            "currency": "DKK",
            "lines": [
                {
                    "order_line_id": "ol_1",
                    "sku": "IPA-33CL",
                    "name": "Hoppy IPA 33 cl",
                    "quantity": 2,
                    "unit_price_excl_vat": 28,
                    "unit_price_incl_vat": 35,
                    "vat_rate": 25,
                    "restock": restock,
                }
            ],
            "totals": {"total_excl_vat": 56, "vat": 14, "total_incl_vat": 70},
            "created_at": updated_at,
            "updated_at": updated_at,
        },
    }


def test_credit_note_with_returned_goods_creates_return_order(consumer_order_sent: DemoEnvironment) -> None:
    _send(consumer_order_sent, _credit_note(restock=True))
    return_order = consumer_order_sent.ongoing.return_orders["CN-1"]
    assert return_order["returnOrderLines"] == [
        {"returnOrderRowNumber": "1", "customerOrderLine": {"orderLineId": 1}, "toBeReturnedNumberOfItems": 2}
    ]


def test_credit_note_return_recorded_in_ledger(consumer_order_sent: DemoEnvironment) -> None:
    _send(consumer_order_sent, _credit_note(restock=True))
    record = consumer_order_sent.ledger.get("demo-brewery", "credit_note", "cn_1", "ongoing")
    assert record is not None
    assert (record.state, record.documents["return_order_number"]) == (TransferState.TRANSFERRED, "CN-1")


def test_credit_note_without_returned_goods_is_skipped(consumer_order_sent: DemoEnvironment) -> None:
    _send(consumer_order_sent, _credit_note(restock=False))
    record = consumer_order_sent.ledger.get("demo-brewery", "credit_note", "cn_1", "ongoing")
    assert consumer_order_sent.ongoing.return_orders == {}
    assert record is not None
    assert record.state is TransferState.SKIPPED


def test_credit_note_still_waits_for_economic(consumer_order_sent: DemoEnvironment) -> None:
    _send(consumer_order_sent, _credit_note(restock=True))
    record = consumer_order_sent.ledger.get("demo-brewery", "credit_note", "cn_1", "economic")
    assert record is not None
    assert record.state is TransferState.WAITING


def test_credit_note_for_unsent_order_is_failed(environment: DemoEnvironment) -> None:
    _send(environment, _credit_note(restock=True))
    record = environment.ledger.get("demo-brewery", "credit_note", "cn_1", "ongoing")
    assert record is not None
    assert record.state is TransferState.FAILED


def test_credit_note_for_other_warehouse_is_skipped(environment: DemoEnvironment) -> None:
    _send(
        environment,
        _order_event(order_payload(CONSUMER_DK), "2026-12-01T00:00:00Z", fulfilled_from="other-3pl"),
    )
    _send(environment, _credit_note(restock=True))
    record = environment.ledger.get("demo-brewery", "credit_note", "cn_1", "ongoing")
    assert record is not None
    assert record.state is TransferState.SKIPPED


def test_warehouse_requests_pass_the_contract(consumer_order_sent: DemoEnvironment) -> None:
    payload = order_payload(CONSUMER_DK)
    payload["lines"][0]["quantity"] = 8
    _send(consumer_order_sent, _order_event(payload, "2026-12-01T00:00:00Z"))
    _send(consumer_order_sent, _credit_note(restock=True))
    _send(consumer_order_sent, _order_event(payload, "2026-12-02T00:00:00Z", status="cancelled"))
    assert consumer_order_sent.ongoing.rejections == []
