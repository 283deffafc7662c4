"""The order poll: orders updated since the cursor are enqueued; the cursor moves only forward."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.flows.order_poll import CURSOR_NAME
from hub.ledger import TransferState
from hub.runtime import get_runtime
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from tests.integration.helpers import invoices_for, ledger_state, sample_delivery
from tests.samples import CONSUMER_DK, order_payload


def test_poll_enqueues_orders_since_first_poll_time(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    result = environment.hub.run_schedule()
    assert result["orders_enqueued"] == 6


def test_poll_transfers_order_whose_webhook_was_missed(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.hub.run_schedule()
    environment.hub.drain_queue()
    assert ledger_state("ord_1005").state is TransferState.TRANSFERRED


def test_poll_after_webhook_does_not_duplicate_the_invoice(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    environment.hub.run_schedule()
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_poll_moves_cursor_to_newest_order(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.hub.run_schedule()
    cursor = get_runtime().cursors.get(DEMO_CONNECTION, CURSOR_NAME)
    assert cursor == datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def test_second_poll_reads_only_the_overlap(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.hub.run_schedule()
    result = environment.hub.run_schedule()
    assert result["orders_enqueued"] == 1


def test_poll_pages_through_the_list(environment: DemoEnvironment) -> None:
    order = order_payload(CONSUMER_DK)
    for index in range(205):
        environment.bemakers.put_order(order | {"id": f"ord_page_{index}", "number": f"P{index}"})
    result = environment.hub.run_schedule()
    pages = [request for request in environment.bemakers.requests if request.path == "/v1/orders"]
    assert (result["orders_enqueued"], len(pages)) == (205, 3)


def test_poll_with_bemakers_down_fails_and_keeps_cursor(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.bemakers.inject_fault("GET", "/v1/orders", "http_503", times=100)
    try:
        environment.hub.run_schedule()
    except Exception as error:  # the function fails so that its Errors alarm fires
        failure = type(error).__name__
    else:
        failure = "none"
    assert (failure, get_runtime().cursors.get(DEMO_CONNECTION, CURSOR_NAME)) == ("PollFailed", None)
