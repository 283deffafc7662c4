"""The e-conomic flow end to end: rounding, booking, draft updates, cancellations and credit notes."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest

from hub.ledger import TransferState
from hub.runtime import reset_runtime
from hubctl.demo import DemoEnvironment
from tests.integration.helpers import delivery_for, invoices_for, ledger_state, sample_delivery
from tests.samples import BUSINESS_DK, CONSUMER_DK, PAID, delivery_document


def _order_body(sample: str, **changes: Any) -> dict[str, Any]:
    body = delivery_document(sample)["body"]
    body["data"].update(changes)
    return body


def _deliver(environment: DemoEnvironment, body: dict[str, Any], delivery_id: str) -> None:
    environment.deliver(delivery_for(body, delivery_id))
    environment.hub.drain_queue("OrdersQueue")


def _credit_note(
    credit_note_id: str,
    lines: list[dict[str, Any]],
    total_excl_vat: str,
    vat: str,
    order_id: str = "ord_1002",
) -> dict[str, Any]:
    excl, tax = Decimal(total_excl_vat), Decimal(vat)
    return {
        "id": f"dlv_{credit_note_id}",
        "type": "credit_note.created",
        "created_at": "2026-12-03T12:00:01Z",
        "data": {
            "id": credit_note_id,
            "number": credit_note_id.upper(),
            "order_id": order_id,
            "currency": "DKK",
            "lines": lines,
            "totals": {"total_excl_vat": excl, "vat": tax, "total_incl_vat": excl + tax},
            "created_at": "2026-12-03T12:00:00Z",
            "updated_at": "2026-12-03T12:00:00Z",
        },
    }


def _line(kind: str, name: str, quantity: int, excl: str, sku: str | None = None) -> dict[str, Any]:
    unit = Decimal(excl)
    line = {
        "kind": kind,
        "name": name,
        "quantity": quantity,
        "unit_price_excl_vat": unit,
        "unit_price_incl_vat": unit * Decimal("1.25"),
        "vat_rate": 25,
    }
    if sku:
        line["sku"] = sku
    return line


def _credit(environment: DemoEnvironment, body: dict[str, Any]) -> None:
    environment.deliver(delivery_for(body, body["id"]))
    environment.hub.drain_queue("CreditNotesQueue")


def _booked_business_order(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(BUSINESS_DK))
    environment.hub.drain_queue("OrdersQueue")


def _credit_note_invoice(environment: DemoEnvironment, credit_note_id: str) -> dict[str, Any]:
    reference = f"bemakers-credit-note:{credit_note_id}"
    invoices = [*environment.economic.draft_invoices.values(), *environment.economic.booked_invoices.values()]
    (invoice,) = [invoice for invoice in invoices if invoice.get("references", {}).get("other") == reference]
    return invoice


# -- prices --------------------------------------------------------------------------------------


def test_three_times_99_99_invoice_totals_299_97(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue("OrdersQueue")
    assert invoices_for(environment, "ord_1004")[0]["grossAmount"] == Decimal("299.97")


def test_three_times_99_99_records_the_rounding(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue("OrdersQueue")
    assert ledger_state("ord_1004").documents["rounding"] == "0.01"


def test_missing_sku_names_the_sku(environment: DemoEnvironment) -> None:
    environment.configure_economic(create_missing_products=False)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    assert "'IPA-33CL'" in ledger_state("ord_1001").error.message


def _product_requests(environment: DemoEnvironment) -> list[str]:
    return [
        f"{request.method} {request.path}"
        for request in environment.economic.requests
        if request.path.startswith("/products")
    ]


def test_products_are_looked_up_in_one_request(environment: DemoEnvironment) -> None:
    body = _order_body(CONSUMER_DK, shipping=[])
    line = body["data"]["lines"][0]
    body["data"]["lines"] = [{**line, "id": f"ol_{index}", "sku": f"SKU-{index}"} for index in range(20)]
    body["data"]["totals"] = {"total_excl_vat": 20 * 168, "vat": 20 * 42, "total_incl_vat": 20 * 210}

    _deliver(environment, body, "dlv_twenty_lines")

    assert ledger_state("ord_1001").state is TransferState.TRANSFERRED
    assert len(environment.economic.products) == 20
    assert _product_requests(environment).count("GET /products") == 1
    assert [path for path in _product_requests(environment) if path.startswith("GET /products/")] == []


def test_product_differing_in_case_is_created(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        products=[
            {"productNumber": "ipa-33cl", "name": "Lower case", "productGroup": {"productGroupNumber": 1}}
        ]
    )

    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")

    assert ledger_state("ord_1001").state is TransferState.TRANSFERRED
    assert {"ipa-33cl", "IPA-33CL"} <= set(environment.economic.products)


def test_danish_letters_reach_economic_unchanged(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    assert [customer["name"] for customer in environment.economic.customers.values()] == ["Test Person Ærø"]


def test_name_over_the_limit_is_cut_not_rejected(environment: DemoEnvironment) -> None:
    body = _order_body(CONSUMER_DK)
    body["data"]["customer"]["name"] = "Æ" * 400
    _deliver(environment, body, "dlv_long_name")
    assert len(next(iter(environment.economic.customers.values()))["name"]) == 255


def test_invalid_cvr_rejected_when_configured(environment: DemoEnvironment) -> None:
    environment.hub.put_secret("unused", {})
    from hub.economic_settings import CustomerSettings

    environment.configure_economic(customers=CustomerSettings(reject_invalid_cvr=True).model_dump())
    body = _order_body(BUSINESS_DK)
    body["data"]["customer"]["vat_number"] = "DK12345678"
    _deliver(environment, body, "dlv_bad_cvr")
    assert (ledger_state("ord_1002").state, invoices_for(environment, "ord_1002")) == (
        TransferState.FAILED,
        [],
    )


def test_existing_business_customer_is_updated(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    body = _order_body(BUSINESS_DK, id="ord_2002", number="2002", updated_at="2026-12-02T08:00:00Z")
    body["data"]["customer"]["company_name"] = "Test Restaurant Renamed ApS"
    _deliver(environment, body, "dlv_2002")
    assert [customer["name"] for customer in environment.economic.customers.values()] == [
        "Test Restaurant Renamed ApS"
    ]


def test_shared_consumer_customer_keeps_buyer_on_invoice(environment: DemoEnvironment) -> None:
    environment.economic.seed(
        customers=[
            {
                "customerNumber": 500,
                "name": "Webshop consumers",
                "currency": "DKK",
                "customerGroup": {"customerGroupNumber": 1},
                "paymentTerms": {"paymentTermsNumber": 1},
                "vatZone": {"vatZoneNumber": 1},
            }
        ]
    )
    from hub.economic_settings import CustomerSettings

    environment.configure_economic(customers=CustomerSettings(shared_consumer_customer=500).model_dump())
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    invoice = invoices_for(environment, "ord_1001")[0]
    assert (invoice["customer"]["customerNumber"], invoice["recipient"]["name"]) == (500, "Test Person Ærø")


# -- booking and changes -------------------------------------------------------------------------


def test_confirmed_order_stays_draft_until_completed(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    assert (list(environment.economic.draft_invoices), list(environment.economic.booked_invoices)) == (
        [1],
        [],
    )


def test_draft_is_booked_when_order_completes(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    _deliver(
        environment, _order_body(CONSUMER_DK, status="completed", updated_at="2026-12-01T10:00:00Z"), "dlv_c"
    )
    assert (list(environment.economic.draft_invoices), len(environment.economic.booked_invoices)) == ([], 1)


def test_unbooked_draft_follows_order_changes(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    body = _order_body(CONSUMER_DK, status="in_fulfillment", updated_at="2026-12-01T10:00:00Z")
    body["data"]["lines"][0]["quantity"] = 12
    body["data"]["lines"][1]["quantity"] = 12
    body["data"]["totals"] = {
        "total_excl_vat": Decimal("384.80"),
        "vat": Decimal("96.20"),
        "total_incl_vat": Decimal("481.00"),
    }
    _deliver(environment, body, "dlv_changed")
    draft = environment.economic.draft_invoices[1]
    assert (draft["lines"][0]["quantity"], draft["grossAmount"]) == (12, Decimal("481.00"))


def test_booked_invoice_is_never_changed(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    body = _order_body(BUSINESS_DK, updated_at="2026-12-02T10:00:00Z")
    body["data"]["lines"][1]["quantity"] = 1
    _deliver(environment, body, "dlv_after_booking")
    booked = next(iter(environment.economic.booked_invoices.values()))
    assert (booked["grossAmount"], list(environment.economic.draft_invoices)) == (Decimal("3130.00"), [])


def test_booking_off_leaves_completed_order_as_draft(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="off")
    _booked_business_order(environment)
    assert (len(environment.economic.draft_invoices), environment.economic.booked_invoices) == (1, {})


def test_orders_instead_of_invoices(environment: DemoEnvironment) -> None:
    environment.configure_economic(document_type="order", booking="off")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    assert (len(environment.economic.draft_orders), environment.economic.draft_invoices) == (1, {})


# -- cancellation --------------------------------------------------------------------------------


def test_cancelling_unbooked_order_deletes_the_draft(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    _deliver(
        environment, _order_body(CONSUMER_DK, status="cancelled", updated_at="2026-12-01T10:00:00Z"), "dlv_x"
    )
    assert (environment.economic.draft_invoices, ledger_state("ord_1001").state) == (
        {},
        TransferState.CANCELLED,
    )


def test_cancelling_booked_order_credits_it_when_configured(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    _deliver(
        environment, _order_body(BUSINESS_DK, status="cancelled", updated_at="2026-12-02T10:00:00Z"), "dlv_x"
    )
    totals = sorted(invoice["grossAmount"] for invoice in environment.economic.booked_invoices.values())
    assert totals == [Decimal("-3130.00"), Decimal("3130.00")]


def test_cancelling_booked_order_without_crediting_records_why(environment: DemoEnvironment) -> None:
    environment.configure_economic(credit_cancelled_booked=False)
    _booked_business_order(environment)
    _deliver(
        environment, _order_body(BUSINESS_DK, status="cancelled", updated_at="2026-12-02T10:00:00Z"), "dlv_x"
    )
    record = ledger_state("ord_1002")
    assert record.state is TransferState.FAILED
    assert "credit_cancelled_booked" in record.error.message


def test_order_cancelled_before_transfer_gets_no_invoice(environment: DemoEnvironment) -> None:
    _deliver(environment, _order_body(CONSUMER_DK, status="cancelled"), "dlv_x")
    environment.deliver(sample_delivery(CONSUMER_DK))  # the older, confirmed version arrives late
    environment.hub.drain_queue("OrdersQueue")
    assert invoices_for(environment, "ord_1001") == []


# -- credit notes --------------------------------------------------------------------------------


def test_partial_refund_is_one_negative_booked_invoice(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    environment.deliver(sample_delivery("08-credit-note-partial-refund.json"))
    environment.hub.drain_queue("CreditNotesQueue")
    assert _credit_note_invoice(environment, "cn_2001")["grossAmount"] == Decimal("-168.00")


def test_credit_note_names_the_credited_invoice(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    environment.deliver(sample_delivery("08-credit-note-partial-refund.json"))
    environment.hub.drain_queue("CreditNotesQueue")
    assert "Credits booked invoice 1" in _credit_note_invoice(environment, "cn_2001")["notes"]["textLine1"]


def test_full_refund_credits_the_whole_invoice(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    order = delivery_document(BUSINESS_DK)["body"]["data"]
    lines = [
        {
            **{
                key: line[key]
                for key in (
                    "sku",
                    "name",
                    "quantity",
                    "unit_price_excl_vat",
                    "unit_price_incl_vat",
                    "vat_rate",
                )
            }
        }
        for line in order["lines"]
    ]
    lines[0]["unit_price_excl_vat"], lines[0]["unit_price_incl_vat"] = Decimal("21.60"), Decimal("27.00")
    lines.append(_line("shipping", "Pallet delivery", 1, "200.00"))
    _credit(environment, _credit_note("cn_full", lines, "2504.00", "626.00"))
    assert _credit_note_invoice(environment, "cn_full")["grossAmount"] == Decimal("-3130.00")


def test_amount_only_refund_uses_refund_sku(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    _credit(
        environment, _credit_note("cn_amount", [_line("amount", "Goodwill", 1, "40.00")], "40.00", "10.00")
    )
    products = [
        line["product"]["productNumber"] for line in _credit_note_invoice(environment, "cn_amount")["lines"]
    ]
    assert products == ["REFUND"]


def test_shipping_only_refund_uses_shipping_sku(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    _credit(
        environment,
        _credit_note("cn_ship", [_line("shipping", "Pallet delivery", 1, "200.00")], "200.00", "50.00"),
    )
    invoice = _credit_note_invoice(environment, "cn_ship")
    assert ([line["product"]["productNumber"] for line in invoice["lines"]], invoice["grossAmount"]) == (
        ["SHIPPING"],
        Decimal("-250.00"),
    )


def test_zero_value_credit_note_is_rejected(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    _credit(environment, _credit_note("cn_zero", [_line("amount", "Pending", 1, "0.00")], "0.00", "0.00"))
    record = environment.ledger.get("demo-brewery", "credit_note", "cn_zero", "economic")
    assert record.state is TransferState.FAILED
    assert "zero-value" in record.error.message


def test_credit_note_delivered_twice_gives_one_credit(environment: DemoEnvironment) -> None:
    _booked_business_order(environment)
    body = _credit_note("cn_twice", [_line("amount", "Goodwill", 1, "40.00")], "40.00", "10.00")
    environment.deliver(delivery_for(body, "dlv_a"))
    environment.deliver(delivery_for(body, "dlv_b"))
    environment.hub.drain_queue("CreditNotesQueue")
    references = [invoice["references"]["other"] for invoice in environment.economic.booked_invoices.values()]
    assert references.count("bemakers-credit-note:cn_twice") == 1


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a waiting credit note come back at once instead of after a minute."""
    monkeypatch.setitem(os.environ, "CREDIT_NOTE_FIRST_WAIT_SECONDS", "0")
    reset_runtime()


def test_credit_note_waits_while_invoice_is_unbooked(environment: DemoEnvironment, no_wait: None) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))  # confirmed: a draft, not booked
    environment.hub.drain_queue("OrdersQueue")
    body = _credit_note(
        "cn_wait", [_line("amount", "Goodwill", 1, "40.00")], "40.00", "10.00", order_id="ord_1001"
    )
    environment.deliver(delivery_for(body, "dlv_wait"))
    report = environment.hub.drain_queue("CreditNotesQueue", max_batches=3)
    record = environment.ledger.get("demo-brewery", "credit_note", "cn_wait", "economic")
    assert (record.state, report.dead_lettered) == (TransferState.WAITING, 0)


def test_waiting_credit_note_posts_once_invoice_is_booked(
    environment: DemoEnvironment, no_wait: None
) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue("OrdersQueue")
    body = _credit_note(
        "cn_later", [_line("amount", "Goodwill", 1, "40.00")], "40.00", "10.00", order_id="ord_1001"
    )
    environment.deliver(delivery_for(body, "dlv_later"))
    environment.hub.drain_queue("CreditNotesQueue", max_batches=2)
    _deliver(
        environment,
        _order_body(CONSUMER_DK, status="completed", updated_at="2026-12-01T10:00:00Z"),
        "dlv_done",
    )
    environment.hub.drain_queue("CreditNotesQueue", max_batches=5)
    assert _credit_note_invoice(environment, "cn_later")["grossAmount"] == Decimal("-50.00")
