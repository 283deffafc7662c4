"""The transfer log: every step per connection, order and target, listed per order and per connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.ledger import TransferState
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from tests.integration.helpers import delivery_for, sample_delivery
from tests.samples import CONSUMER_DK, PAID, WAITING, delivery_document

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def environment(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo stack with its connection reduced to e-conomic, booking at transfer."""
    environment.use_economic_only()
    return environment


def _rejected_order(environment: DemoEnvironment, order_id: str = "ord_rejected") -> None:
    environment.configure_economic(layout=999)
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"].update(id=order_id, updated_at="2026-12-04T00:00:00Z")
    environment.deliver(delivery_for(body, f"dlv_{order_id}"))
    environment.hub.drain_queue()


def test_journey_lists_start_and_end_of_transfer(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    journey = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")
    assert [entry.state for entry in journey] == [TransferState.IN_PROGRESS, TransferState.TRANSFERRED]


def test_journey_records_target_documents(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    last = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")[-1]
    assert (last.target, last.documents["booked_invoice_number"]) == ("economic", "1")


def test_journey_records_duration_of_finished_step(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    first, last = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")
    assert first.duration_ms is None
    assert last.duration_ms is not None


def test_journey_records_the_target_error(environment: DemoEnvironment) -> None:
    _rejected_order(environment)
    last = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_rejected")[-1]
    assert (last.state, last.error.status, last.error.code) == (TransferState.FAILED, 400, "E06000")


def test_journey_follows_waiting_then_transferred(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    environment.deliver(sample_delivery(PAID))
    environment.hub.drain_queue()
    states = [entry.state for entry in environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1004")]
    assert states == [TransferState.WAITING, TransferState.IN_PROGRESS, TransferState.TRANSFERRED]


def test_journey_shows_retries(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_500")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    states = [entry.state for entry in environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")]
    assert states == [
        TransferState.IN_PROGRESS,
        TransferState.RETRYING,
        TransferState.IN_PROGRESS,
        TransferState.TRANSFERRED,
    ]


def test_connection_log_lists_every_order(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    documents = {
        entry.document_id for entry in environment.ledger.connection_log(DEMO_CONNECTION, since=HOUR_AGO)
    }
    assert documents == {"ord_1001", "ord_1004"}


def test_connection_log_is_in_time_order(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    times = [entry.logged_at for entry in environment.ledger.connection_log(DEMO_CONNECTION, since=HOUR_AGO)]
    assert times == sorted(times)


def test_connection_log_excludes_steps_before_since(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert list(environment.ledger.connection_log(DEMO_CONNECTION, since=later)) == []


def test_connection_log_is_per_connection(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert list(environment.ledger.connection_log("other-brewery", since=HOUR_AGO)) == []


def test_open_failures_list_rejected_order(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    _rejected_order(environment)
    failures = environment.ledger.open_failures(DEMO_CONNECTION)
    assert [(record.document_id, record.state) for record in failures] == [
        ("ord_rejected", TransferState.FAILED)
    ]


def test_open_failure_closes_when_transferred(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_500")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert environment.ledger.open_failures(DEMO_CONNECTION) == []


def test_latest_step_finds_newest_transfer(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    latest = environment.ledger.latest_step(
        DEMO_CONNECTION, since=HOUR_AGO, states=frozenset({TransferState.TRANSFERRED})
    )
    assert latest is not None and latest.document_id == "ord_1001"


def test_journey_shows_unended_step(environment: DemoEnvironment) -> None:
    # A worker that stops after taking the lease writes no log item; the target record shows it.
    environment.ledger.claim(DEMO_CONNECTION, "order", "ord_stalled", "economic", version=1, lease_seconds=60)
    journey = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_stalled")
    assert [entry.state for entry in journey] == [TransferState.IN_PROGRESS]


def test_finished_step_records_when_it_started(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    first, last = environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")
    assert last.started_at == first.logged_at
