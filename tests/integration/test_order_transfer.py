"""The order transfer through the queue: exactly one invoice per order, states, rejections and retries."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from hub.ledger import Ledger, TransferState
from hub.models.messages import DocumentChanged
from hub.queue import enqueue
from hub.runtime import get_runtime
from hubctl.demo import DemoEnvironment
from hubctl.local import REGION
from tests.integration.helpers import (
    delivery_for,
    expire_lease,
    invoices_for,
    ledger_state,
    queued_messages,
    sample_delivery,
)
from tests.samples import BUSINESS_DK, CONSUMER_DK, PAID, WAITING, delivery_document


class SimulatedCrash(BaseException):
    """Stands in for the process dying: not an Exception, so no handler in the hub catches it."""


def _receive_one(environment: DemoEnvironment) -> dict[str, Any]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(
        QueueUrl=environment.hub.queue_url("OrdersQueue"),
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    return dict(messages[0])


def _sqs_event(environment: DemoEnvironment, message: dict[str, Any]) -> dict[str, Any]:
    from hubctl import events

    record = events.sqs_record(
        message_id=message["MessageId"],
        receipt_handle=message["ReceiptHandle"],
        body=message["Body"],
        queue_arn="arn:aws:sqs:eu-west-1:123456789012:local-OrdersQueue",
        region=REGION,
        attributes=message.get("Attributes", {}),
        message_attributes=message.get("MessageAttributes", {}),
    )
    return events.sqs_event([record])


def test_consumer_order_becomes_one_booked_invoice(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="on_transfer")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert [invoice["bookedInvoiceNumber"] for invoice in invoices_for(environment, "ord_1001")] == [1]


def test_order_without_booking_stays_a_draft(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="off")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert list(environment.economic.draft_invoices) == [1]


def test_transfer_creates_customer_with_email(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert [customer["email"] for customer in environment.economic.customers.values()] == [
        "test.person@example.com"
    ]


def test_transfer_creates_missing_products_in_configured_group(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    groups = {
        number: product["productGroup"]["productGroupNumber"]
        for number, product in environment.economic.products.items()
    }
    assert groups == {"IPA-33CL": 1, "PANT-A": 1, "SHIPPING": 1}


def test_ledger_records_the_economic_documents(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="on_transfer")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    record = ledger_state("ord_1001")
    assert record.documents == {
        "customer_number": "1",
        "draft_invoice_number": "1",
        "booked_invoice_number": "1",
    }


def test_ledger_marks_order_transferred(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert ledger_state("ord_1001").state is TransferState.TRANSFERRED


def test_booked_invoice_totals_match_the_order(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(BUSINESS_DK))
    environment.hub.drain_queue()
    totals = delivery_document(BUSINESS_DK)["body"]["data"]["totals"]
    invoice = invoices_for(environment, "ord_1002")[0]
    assert (invoice["netAmount"], invoice["vatAmount"], invoice["grossAmount"]) == (
        totals["total_excl_vat"],
        totals["vat"],
        totals["total_incl_vat"],
    )


def test_returning_business_customer_is_found_by_cvr(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(BUSINESS_DK))
    body = delivery_document(BUSINESS_DK)["body"]
    body["data"].update(id="ord_2002", number="2002", updated_at="2026-12-02T08:00:00Z")
    body["data"]["customer"]["vat_number"] = "12345674"
    environment.deliver(delivery_for(body, "dlv_2002"))
    environment.hub.drain_queue()
    assert len(environment.economic.customers) == 1


# -- exactly once --------------------------------------------------------------------------------


def test_same_webhook_three_times_gives_one_invoice(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="off")
    for _ in range(3):
        environment.deliver(sample_delivery(CONSUMER_DK))
        environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_same_webhook_with_new_delivery_ids_gives_one_invoice(environment: DemoEnvironment) -> None:
    body = delivery_document(CONSUMER_DK)["body"]
    for attempt in range(3):
        environment.deliver(delivery_for(body, f"dlv_retry_{attempt}"))
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_same_queue_message_processed_twice_gives_one_invoice(environment: DemoEnvironment) -> None:
    environment.configure_economic(booking="off")
    environment.deliver(sample_delivery(CONSUMER_DK))
    event = _sqs_event(environment, _receive_one(environment))
    first = environment.hub.invoke("OrderTransferFunction", event)
    second = environment.hub.invoke("OrderTransferFunction", event)
    assert (first, second, len(invoices_for(environment, "ord_1001"))) == (
        {"batchItemFailures": []},
        {"batchItemFailures": []},
        1,
    )


def test_crash_after_draft_created_gives_one_invoice(
    environment: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment.configure_economic(booking="off")
    environment.deliver(sample_delivery(CONSUMER_DK))
    event = _sqs_event(environment, _receive_one(environment))

    def crash(*args: object, **kwargs: object) -> None:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "finish", crash)
        with pytest.raises(SimulatedCrash):
            environment.hub.invoke("OrderTransferFunction", event)
    assert len(environment.economic.draft_invoices) == 1

    expire_lease("ord_1001")
    environment.hub.invoke("OrderTransferFunction", event)
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_crash_after_draft_created_adopts_the_draft(
    environment: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment.configure_economic(booking="off")
    environment.deliver(sample_delivery(CONSUMER_DK))
    event = _sqs_event(environment, _receive_one(environment))
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "finish", lambda *args, **kwargs: (_ for _ in ()).throw(SimulatedCrash()))
        with pytest.raises(SimulatedCrash):
            environment.hub.invoke("OrderTransferFunction", event)
    expire_lease("ord_1001")
    environment.hub.invoke("OrderTransferFunction", event)
    assert ledger_state("ord_1001").documents["draft_invoice_number"] == "1"


def test_crash_after_booking_adopts_the_booked_invoice(
    environment: DemoEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment.configure_economic(booking="on_transfer")
    environment.deliver(sample_delivery(CONSUMER_DK))
    event = _sqs_event(environment, _receive_one(environment))
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "finish", lambda *args, **kwargs: (_ for _ in ()).throw(SimulatedCrash()))
        with pytest.raises(SimulatedCrash):
            environment.hub.invoke("OrderTransferFunction", event)
    expire_lease("ord_1001")
    environment.hub.invoke("OrderTransferFunction", event)
    assert (
        len(invoices_for(environment, "ord_1001")),
        ledger_state("ord_1001").documents["booked_invoice_number"],
    ) == (
        1,
        "1",
    )


def test_draft_accepted_then_500_gives_one_invoice(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "accepted_then_500")
    environment.deliver(sample_delivery(CONSUMER_DK))
    report = environment.hub.drain_queue()
    assert (report.failed_attempts, len(invoices_for(environment, "ord_1001"))) == (1, 1)


def test_lease_held_by_another_worker_retries_later(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    get_runtime().ledger.claim("demo-brewery", "order", "ord_1001", "economic", version=1, lease_seconds=300)
    event = _sqs_event(environment, _receive_one(environment))
    with pytest.raises(BatchProcessingError, match="All records failed"):
        environment.hub.invoke("OrderTransferFunction", event)
    assert invoices_for(environment, "ord_1001") == []


# -- order states --------------------------------------------------------------------------------


def test_order_waiting_for_payment_is_recorded_waiting(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    assert ledger_state("ord_1004").state is TransferState.WAITING


def test_order_waiting_for_payment_gets_no_invoice(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    assert invoices_for(environment, "ord_1004") == []


def test_waiting_order_transfers_when_paid(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue()
    assert (ledger_state("ord_1004").state, len(invoices_for(environment, "ord_1004"))) == (
        TransferState.TRANSFERRED,
        1,
    )


def test_older_version_after_newer_is_skipped(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue()
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    assert ledger_state("ord_1004").state is TransferState.TRANSFERRED


def test_deliveries_out_of_order_give_one_invoice(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(PAID))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1004")) == 1


def test_state_allowed_list_is_per_connection(environment: DemoEnvironment) -> None:
    environment.configure_economic(transfer_states=["completed"])
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert ledger_state("ord_1001").state is TransferState.WAITING


# -- rejections and transient failures -----------------------------------------------------------


def test_economic_rejection_is_recorded_with_its_error(environment: DemoEnvironment) -> None:
    environment.configure_economic(layout=999)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    error = ledger_state("ord_1001").error
    assert (error.status, error.code) == (400, "E06000")


def test_economic_rejection_names_the_field(environment: DemoEnvironment) -> None:
    environment.configure_economic(layout=999)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert ledger_state("ord_1001").error.field.startswith("layout")


def test_economic_rejection_is_failed_not_retried(environment: DemoEnvironment) -> None:
    environment.configure_economic(layout=999)
    environment.deliver(sample_delivery(CONSUMER_DK))
    report = environment.hub.drain_queue()
    assert (ledger_state("ord_1001").state, report.failed_attempts, report.dead_lettered) == (
        TransferState.FAILED,
        0,
        0,
    )


def test_economic_outage_ends_in_the_dlq(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("*", "/", "http_503", times=1000)
    environment.configure_economic(max_attempts=1)
    environment.deliver(sample_delivery(CONSUMER_DK))
    report = environment.hub.drain_queue()
    assert (report.dead_lettered, queued_messages(environment)) == (1, 0)


def test_economic_outage_is_recorded_as_retrying(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("*", "/", "http_503", times=1000)
    environment.configure_economic(max_attempts=1)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    record = ledger_state("ord_1001")
    assert (record.state, record.error.status) == (TransferState.RETRYING, 503)


def test_short_economic_outage_recovers(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("GET", "/invoices/drafts", "http_503", times=2)
    environment.configure_economic(max_attempts=1)
    environment.deliver(sample_delivery(CONSUMER_DK))
    report = environment.hub.drain_queue()
    assert (report.failed_attempts, len(invoices_for(environment, "ord_1001"))) == (2, 1)


def test_revoked_economic_tokens_keep_the_order_queued(environment: DemoEnvironment) -> None:
    environment.hub.put_secret(
        "bemakers-hub/demo-brewery/economic",
        {"app_secret_token": "revoked", "agreement_grant_token": "revoked"},
    )
    environment.deliver(sample_delivery(CONSUMER_DK))
    report = environment.hub.drain_queue()
    assert (report.dead_lettered, ledger_state("ord_1001").state) == (1, TransferState.RETRYING)


def test_replay_after_fix_transfers_a_rejected_order(environment: DemoEnvironment) -> None:
    environment.configure_economic(layout=999)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    environment.configure_economic(layout=19)
    body = delivery_document(CONSUMER_DK)["body"]
    message = DocumentChanged(
        connection_id="demo-brewery",
        kind="order",
        document_id="ord_1001",
        version=ledger_state("ord_1001").version,
        source="replay",
        force=True,
        snapshot=body["data"],
    )
    enqueue(get_runtime().settings.orders_queue_url, [message])
    environment.hub.drain_queue()
    assert ledger_state("ord_1001").state is TransferState.TRANSFERRED
