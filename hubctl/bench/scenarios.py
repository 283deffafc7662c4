"""The benchmark scenarios: one `Scenario` per function of the template.

A scenario prepares a workload (the state it needs and events shaped as AWS sends them)
and checks each response, so that no failed invocation is timed as work done. The figures
per document, the AWS call counts and their regression tests run every scenario in
`SCENARIOS`. A function that has none is reported as not measured, so a new flow adds
its figures by adding one scenario here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.models.bemakers import version_of
from hub.models.messages import DocumentChanged, DocumentKind
from hubctl import events
from hubctl.bench.documents import credit_note_payload, order_delivery, order_payload
from hubctl.bench.stack import BenchStack
from hubctl.demo import DEMO_CONNECTION, DEMO_WEBHOOK_SECRET
from hubctl.local import REGION, webhook_event

TRANSFER_ORDER_LINES = 20
"""Lines of each order in the transfer figures."""
WEBHOOK_ORDER_LINES = 20


class InvocationFailed(Exception):
    """A function returned an error or a partial batch failure during a benchmark."""


@dataclass(frozen=True)
class Workload:
    """Events ready for one function, and the documents they carry."""

    events: list[dict[str, Any]]
    documents: list[tuple[DocumentKind, str]] = field(default_factory=list)
    """The (kind, id) of each document the events carry, to count its targets in the ledger."""
    units: int = 0


@dataclass(frozen=True)
class Scenario:
    function: str
    """Logical id of the function in template.yaml."""
    unit: str
    """The unit of work: a delivery, an order or a polled order."""
    prepare: Callable[[BenchStack, int, int], Workload]
    """Set up the state for `count` units numbered from `start`, and return the events."""
    check: Callable[[Any], int | None]
    """Raise InvocationFailed when a response shows a failure. Returns the units the invocation
    completed, or None when the workload's `units` count applies."""
    per_target: bool = False
    """Whether the figures are per unit and per target the unit goes to."""


# -- webhook ---------------------------------------------------------------------------------------


def _prepare_webhook(stack: BenchStack, start: int, count: int) -> Workload:
    stack.use_connection(economic_only=True)
    deliveries = [
        order_delivery(index, lines=WEBHOOK_ORDER_LINES).signed(DEMO_WEBHOOK_SECRET)
        for index in range(start, start + count)
    ]
    return Workload(
        events=[webhook_event(DEMO_CONNECTION, delivery.headers, delivery.body) for delivery in deliveries],
        units=count,
    )


def _check_webhook(response: Any) -> int | None:
    if response.get("statusCode") != 202:
        raise InvocationFailed(
            f"the webhook function returned status {response.get('statusCode')}: {response.get('body')}"
        )
    return None


# -- order and credit note transfer -------------------------------------------------------------


def _sqs_events(stack: BenchStack, function: str, messages: list[DocumentChanged]) -> list[dict[str, Any]]:
    """Return SQS events in the function's batch size, as its event source mapping delivers them."""
    resources = stack.local.resources
    assert resources is not None
    source = resources.functions()[function].sqs_events[0]
    queue_arn = resources.queue_arns[source.queue]
    records = [
        events.sqs_record(
            message_id=str(uuid.uuid4()),
            receipt_handle=uuid.uuid4().hex,
            body=message.model_dump_json(),
            queue_arn=queue_arn,
            region=REGION,
            attributes={"ApproximateReceiveCount": "1"},
            message_attributes={},
        )
        for message in messages
    ]
    size = source.batch_size
    return [events.sqs_event(records[start : start + size]) for start in range(0, len(records), size)]


def _message(kind: DocumentKind, payload: dict[str, Any]) -> DocumentChanged:
    """Build the queue message the webhook would send for this document."""
    return DocumentChanged(
        connection_id=DEMO_CONNECTION,
        kind=kind,
        document_id=payload["id"],
        version=version_of(datetime.fromisoformat(payload["updated_at"])),
        source="webhook",
        snapshot=payload,
    )


def _order_message(index: int, *, status: str) -> DocumentChanged:
    return _message("order", order_payload(index, lines=TRANSFER_ORDER_LINES, status=status))


def _transfer_quietly(stack: BenchStack, orders: list[DocumentChanged]) -> None:
    """Transfer orders as set-up for another scenario, outside its measurements."""
    with stack.quiet():
        for event in _sqs_events(stack, "OrderTransferFunction", orders):
            _check_batch(stack.local.invoke("OrderTransferFunction", event))


def _prepare_order_transfer(stack: BenchStack, start: int, count: int) -> Workload:
    stack.use_connection(economic_only=True)
    messages = [_order_message(index, status="confirmed") for index in range(start, start + count)]
    return Workload(
        events=_sqs_events(stack, "OrderTransferFunction", messages),
        documents=[("order", message.document_id) for message in messages],
        units=count,
    )


def _check_batch(response: Any) -> int | None:
    failures = (response or {}).get("batchItemFailures", [])
    if failures:
        raise InvocationFailed(f"{len(failures)} records of the batch failed: {failures[:3]}")
    return None


def _prepare_credit_note_transfer(stack: BenchStack, start: int, count: int) -> Workload:
    stack.use_connection(economic_only=True)
    # Credit notes need booked invoices: the demo connection books an order when it is completed.
    orders = [_order_message(index, status="completed") for index in range(start, start + count)]
    _transfer_quietly(stack, orders)

    messages = [_message("credit_note", credit_note_payload(index)) for index in range(start, start + count)]
    return Workload(
        events=_sqs_events(stack, "CreditNoteTransferFunction", messages),
        documents=[("credit_note", message.document_id) for message in messages],
        units=count,
    )


# -- order poll -----------------------------------------------------------------------------------

# Polled orders are spaced two minutes apart from a day ago, so that one run's orders are
# never within the poll's 60-second overlap of the next run's.
_POLL_EPOCH = datetime.now(UTC) - timedelta(days=1)


def _prepare_order_poll(stack: BenchStack, start: int, count: int) -> Workload:
    stack.use_connection(economic_only=True)
    for index in range(start, start + count):
        updated_at = _POLL_EPOCH + timedelta(minutes=2 * index)
        stack.bemakers.put_order(order_payload(index, lines=TRANSFER_ORDER_LINES, updated_at=updated_at))
    return Workload(
        events=[events.scheduler_event(schedule_name="OrderPollFunction", region=REGION)],
        units=count,
    )


def _check_poll(response: Any) -> int | None:
    # The poll also reads again the orders within 60 seconds before its cursor, so the
    # response, not the workload, gives the number of orders it polled.
    return int(response["orders_enqueued"]) + int(response["credit_notes_enqueued"])


# -- fulfillment import ---------------------------------------------------------------------------

# The fulfillment scenario's orders are numbered from here, apart from the other scenarios'.
_FULFILLMENT_FIRST_ORDER = 1_000_000
# Parcels ship two minutes apart from half a day ago, so that one run's parcels are never
# within the import's 10-minute overlap of the next run's.
_SHIPPED_EPOCH = datetime.now(UTC) - timedelta(hours=12)
WAREHOUSE_LOCATION = "main-warehouse"
"""The demo connection's Bemakers location of its Ongoing warehouse."""


def _prepare_fulfillment_import(stack: BenchStack, start: int, count: int) -> Workload:
    """Transfer `count` orders to the warehouse, ship each in one parcel, and return the import's schedule."""
    stack.use_connection(economic_only=False)
    for line in range(TRANSFER_ORDER_LINES):
        stack.ongoing.add_article(f"BENCH-{line:03d}", f"Bench beer {line}", {"DK1": 10_000})
    messages = []
    for index in range(_FULFILLMENT_FIRST_ORDER + start, _FULFILLMENT_FIRST_ORDER + start + count):
        payload = order_payload(index, lines=TRANSFER_ORDER_LINES) | {"fulfilled_from": WAREHOUSE_LOCATION}
        stack.bemakers.put_order(payload)
        messages.append(_message("order", payload))
    _transfer_quietly(stack, messages)
    for offset, message in enumerate(messages):
        stack.ongoing.ship_parcel(
            str(message.snapshot["number"]),
            f"BP{_FULFILLMENT_FIRST_ORDER + start + offset}",
            {line["id"]: line["quantity"] for line in message.snapshot["lines"]},
            shipped_time=_SHIPPED_EPOCH + timedelta(minutes=2 * (start + offset)),
        )
    return Workload(
        events=[events.scheduler_event(schedule_name="FulfillmentImportFunction", region=REGION)],
        units=count,
    )


def _check_fulfillment_import(response: Any) -> int | None:
    if response.get("unknown_orders"):
        raise InvocationFailed(f"the fulfillment import found unknown orders: {response}")
    return int(response["fulfillments_posted"])


SCENARIOS: dict[str, Scenario] = {
    scenario.function: scenario
    for scenario in (
        Scenario("WebhookFunction", "delivery", _prepare_webhook, _check_webhook),
        Scenario("OrderTransferFunction", "order", _prepare_order_transfer, _check_batch, per_target=True),
        Scenario(
            "CreditNoteTransferFunction",
            "credit note",
            _prepare_credit_note_transfer,
            _check_batch,
            per_target=True,
        ),
        Scenario("OrderPollFunction", "polled order", _prepare_order_poll, _check_poll),
        Scenario(
            "FulfillmentImportFunction",
            "shipped order",
            _prepare_fulfillment_import,
            _check_fulfillment_import,
        ),
    )
}


def order_message_bytes() -> int:
    """Return the size of a transfer scenario order's queue message body, in bytes."""
    return len(_order_message(0, status="confirmed").model_dump_json().encode("utf-8"))
