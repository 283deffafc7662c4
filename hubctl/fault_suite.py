"""The fault suite: many orders through the local stack under faults, then checks of what arrived.

`hubctl faults` (and `make faults`) runs it. Every order goes through the real handlers on
moto and loopback sandboxes:
- each webhook delivery arrives 1 to 3 times, all deliveries shuffled, so versions arrive out
  of order, and a few orders' webhooks never arrive, so only the order poll brings them;
- a share of all e-conomic and Bemakers calls fail at random (5xx, 429, timeouts, slow
  responses, dropped connections, requests that took effect but got an error back, and
  stale reads of the Bemakers order list);
- the transfer function "crashes" at random between a target call and its ledger write;
- a few orders carry a currency e-conomic does not know, so e-conomic rejects them for good.

Then it checks that every sandbox contains exactly one invoice per transferable order, that no
order is lost, that the dead-letter queue is empty, and that every failure shows in the
transfer log and in the EMF metrics. Everything random comes from one seed.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import multiprocessing
import random
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3

from hub.connections import Connection
from hub.connectors.http import JsonHttpClient
from hub.ledger import Lease, Ledger, TransferState
from hub.runtime import get_runtime, reset_runtime
from hubctl.deliveries import Delivery
from hubctl.demo import (
    DEMO_BEMAKERS_TOKEN,
    DEMO_ECONOMIC_APP_TOKEN,
    DEMO_ECONOMIC_GRANT_TOKEN,
    DEMO_WEBHOOK_SECRET,
)
from hubctl.local import REGION, LocalHub
from hubctl.sandboxes._http import FaultKind, dumps_json, loads_json
from hubctl.sandboxes.bemakers import BemakersSandbox
from hubctl.sandboxes.economic import EconomicSandbox

# A faulted e-conomic call gets one of these entries, each with equal chance, so http_500
# (listed twice) comes twice as often. A timeout costs the client its whole read timeout, so
# it is one entry of nine to keep the suite's run time in check.
ECONOMIC_FAULTS: tuple[FaultKind, ...] = (
    "http_500",
    "http_503",
    "http_429",
    "accepted_then_500",
    "accepted_then_dropped",
    "dropped",
    "slow",
    "timeout",
    "http_500",
)
# Stale reads only where the hub is built for them: the poll reads its cursor with an overlap.
# A stale e-conomic lookup after an unknown outcome can still double a draft (see the xfail in
# tests/integration/test_transfer_faults.py), so the suite leaves it out.
BEMAKERS_FAULTS: tuple[FaultKind, ...] = ("http_503", "http_429", "dropped", "stale_read")
ECONOMIC_TIMEOUT_SECONDS = 0.1
UNKNOWN_CURRENCY = "ZZZ"
FAILURE_STATES = frozenset({TransferState.FAILED, TransferState.RETRYING})


class SimulatedCrash(BaseException):
    """The function's process dying: not an Exception, so no handler in the hub catches it."""


@dataclass(frozen=True)
class FaultSuiteSettings:
    orders: int = 2000
    seed: int = 20261204
    connections: int = 16
    """Connections, each with its own sandboxes; a multiple of `workers` spreads the load evenly."""
    fault_rate: float = 0.2
    """Share of all target calls (e-conomic and Bemakers) that fail."""
    crash_rate: float = 0.03
    """Share of ledger writes after a target call before which the function crashes."""
    rejected_rate: float = 0.02
    """Share of orders that e-conomic rejects for good."""
    lost_webhook_rate: float = 0.03
    """Share of orders whose webhooks never arrive."""
    two_version_rate: float = 0.3
    """Share of orders sent first as waiting for payment, then as confirmed."""
    chunk: int = 250
    """Deliveries sent before the queue is drained, so later versions overtake earlier ones."""
    workers: int = 4
    """Processes, each a local stack of its own with every `workers`-th connection. More than
    the cores, because each worker spends part of its time waiting for injected timeouts."""


@dataclass
class FaultSuiteReport:
    settings: FaultSuiteSettings
    orders: int = 0
    rejected_orders: int = 0
    lost_webhook_orders: int = 0
    deliveries_sent: int = 0
    deliveries_answered: Counter[int] = field(default_factory=Counter)
    messages_processed: int = 0
    failed_attempts: int = 0
    crashes: int = 0
    dead_lettered_during_run: int = 0
    redriven: int = 0
    economic_faults: Counter[str] = field(default_factory=Counter)
    bemakers_faults: Counter[str] = field(default_factory=Counter)
    invoices: int = 0
    duplicate_invoices: int = 0
    duplicate_customers: int = 0
    orders_without_invoice: int = 0
    orders_not_transferred: int = 0
    rejected_not_failed: int = 0
    dead_letter_queue_depth: int = 0
    log_steps: Counter[str] = field(default_factory=Counter)
    metric_steps: Counter[str] = field(default_factory=Counter)
    leases_taken: int = 0
    """Leases the ledger's target records count (`attempts`), ended or not."""
    unfinished_starts: int = 0
    failure_notices: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def add(self, other: FaultSuiteReport) -> None:
        """Add another worker's counts and problems to this report's."""
        for name, value in vars(other).items():
            if name in ("settings", "seconds"):
                continue
            mine = getattr(self, name)
            if isinstance(value, Counter):
                mine.update(value)
            elif isinstance(value, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)

    def lines(self) -> list[str]:
        settings = self.settings
        return [
            f"fault suite, seed {settings.seed}: {self.orders} orders,"
            f" {settings.connections} connections, {settings.workers} workers",
            f"  deliveries sent:                  {self.deliveries_sent}"
            f" (HTTP {dict(sorted(self.deliveries_answered.items()))})",
            f"  orders without webhooks (poll):   {self.lost_webhook_orders}",
            f"  orders rejected by e-conomic:     {self.rejected_orders}",
            f"  e-conomic faults injected:        {sum(self.economic_faults.values())}"
            f" {dict(sorted(self.economic_faults.items()))}",
            f"  Bemakers faults injected:         {sum(self.bemakers_faults.values())}"
            f" {dict(sorted(self.bemakers_faults.items()))}",
            f"  crashes before the ledger write:  {self.crashes}",
            f"  queue messages processed:         {self.messages_processed}"
            f" ({self.failed_attempts} failed attempts, redelivered)",
            f"  dead-lettered, then redriven:     {self.dead_lettered_during_run}, {self.redriven}",
            f"  invoices in the sandboxes:        {self.invoices}",
            f"  duplicate invoices:               {self.duplicate_invoices}",
            f"  duplicate customers:              {self.duplicate_customers}",
            f"  orders lost (no invoice):         {self.orders_without_invoice}",
            f"  orders not recorded transferred:  {self.orders_not_transferred}",
            f"  rejections not recorded failed:   {self.rejected_not_failed}",
            f"  messages left in the DLQ:         {self.dead_letter_queue_depth}",
            f"  transfer log steps:               {dict(sorted(self.log_steps.items()))}",
            f"  TransferSteps metrics:            {dict(sorted(self.metric_steps.items()))}",
            f"  leases without an end (crashes):  {self.unfinished_starts}",
            f"  failure notices sent:             {self.failure_notices}",
            f"  wall time:                        {self.seconds:.1f} s",
            "PASSED" if self.passed else "FAILED:\n  - " + "\n  - ".join(self.problems),
        ]


@dataclass(frozen=True)
class _Shop:
    number: int
    connection_id: str
    bemakers: BemakersSandbox
    economic: EconomicSandbox


def run_fault_suite(settings: FaultSuiteSettings) -> FaultSuiteReport:
    """Run the suite and return its counts; `report.problems` lists every check that failed.

    Connections are independent, so the suite splits them over `settings.workers` processes,
    each with its own moto backend and sandboxes, to use more than one core.
    """
    started = time.monotonic()
    workers = max(1, min(settings.workers, settings.connections))
    if workers == 1:
        report = _run_worker(settings, 0, 1)
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            parts = pool.starmap(_run_worker, [(settings, worker, workers) for worker in range(workers)])
        report = FaultSuiteReport(settings)
        for part in parts:
            report.add(part)
    report.seconds = time.monotonic() - started
    return report


def _run_worker(settings: FaultSuiteSettings, worker: int, workers: int) -> FaultSuiteReport:
    # A batch in which every message crashed or was a duplicate emits no metric, and Powertools
    # warns about that on every such invocation.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    report = FaultSuiteReport(settings)
    emf = io.StringIO()
    numbers = [number for number in range(settings.connections) if number % workers == worker]
    with _local_stack(numbers) as (hub, shops), contextlib.redirect_stdout(emf):
        chance = random.Random(settings.seed)  # noqa: S311 - test data, not security
        orders = _build_orders(settings, shops, chance, report)
        # The orders are the same whatever the workers; the later draws are per worker.
        chance = random.Random(settings.seed * 100 + worker)  # noqa: S311 - test data, not security
        _put_orders(orders)
        notices_url = hub.subscribe_queue("NotificationTopic")
        for shop in shops.values():
            shop.economic.inject_random_faults(
                settings.fault_rate, ECONOMIC_FAULTS, seed=settings.seed + shop.number
            )
            shop.bemakers.inject_random_faults(
                settings.fault_rate, BEMAKERS_FAULTS, seed=settings.seed + 1000 + shop.number
            )

        deliveries = _schedule_deliveries(settings, orders, chance, report)
        with _crashes(settings, chance) as crashed_leases:
            for start in range(0, len(deliveries), settings.chunk):
                for connection_id, delivery in deliveries[start : start + settings.chunk]:
                    # Signed when sent, as Bemakers signs each attempt, so no timestamp grows too old.
                    signed = delivery.signed(DEMO_WEBHOOK_SECRET)
                    response = hub.deliver_webhook(connection_id, signed.headers, signed.body)
                    report.deliveries_answered[int(response["statusCode"])] += 1
                _drain(hub, report, crashed_leases)
            _poll_until_done(hub, report, crashed_leases)

            # An order that failed 5 times in a row is in the DLQ: the operator's redrive. A
            # message still there after 3 rounds fails the DLQ check below.
            for _ in range(3):
                if not hub.queue_depth("OrdersDeadLetterQueue"):
                    break
                report.redriven += _redrive(hub)
                _drain(hub, report, crashed_leases)

        for shop in shops.values():
            report.economic_faults.update(shop.economic.random_faults_injected)
            report.bemakers_faults.update(shop.bemakers.random_faults_injected)
            shop.economic.clear_faults()
            shop.bemakers.clear_faults()
        _check_documents(orders, list(shops.values()), report)
        _check_ledger(orders, report)
        report.dead_letter_queue_depth = hub.queue_depth("OrdersDeadLetterQueue")
        _check_log(list(shops.values()), report)
        report.failure_notices = _count_notices(notices_url)
    _count_metrics(emf.getvalue(), report)
    _check_counts(report)
    return report


# ---------------------------------------------------------------------------------------------
# The stack and its shops
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _local_stack(numbers: list[int]) -> Iterator[tuple[LocalHub, dict[int, _Shop]]]:
    shops: dict[int, _Shop] = {}
    hub = LocalHub(log_level="CRITICAL", metrics=True)
    # The suite's own setting: every rejection sends its notice, so the count can be checked.
    with mock.patch.dict("os.environ", {"NOTICES_PER_CONNECTION_HOUR": "100000"}):
        hub.start()
        try:
            for number in numbers:
                shop = _Shop(
                    number,
                    f"fault-shop-{number:02d}",
                    BemakersSandbox(DEMO_BEMAKERS_TOKEN),
                    EconomicSandbox(DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN, slow_seconds=0.3),
                )
                _open_shop(hub, shop)
                shops[number] = shop
            reset_runtime()
            yield hub, shops
        finally:
            for shop in shops.values():
                shop.economic.stop()
                shop.bemakers.stop()
            hub.stop()


def _open_shop(hub: LocalHub, shop: _Shop) -> None:
    bemakers_url = shop.bemakers.start()
    economic_url = shop.economic.start()
    prefix = f"bemakers-hub/{shop.connection_id}"
    hub.put_secret(
        f"{prefix}/bemakers", {"api_token": DEMO_BEMAKERS_TOKEN, "webhook_secrets": [DEMO_WEBHOOK_SECRET]}
    )
    hub.put_secret(
        f"{prefix}/economic",
        {"app_secret_token": DEMO_ECONOMIC_APP_TOKEN, "agreement_grant_token": DEMO_ECONOMIC_GRANT_TOKEN},
    )
    connection = Connection.model_validate(
        {
            "connection_id": shop.connection_id,
            "bemakers": {
                "base_url": bemakers_url,
                "secret_name": f"{prefix}/bemakers",
                "first_poll_since": "2026-11-01T00:00:00+00:00",
            },
            "economic": {
                "base_url": economic_url,
                "secret_name": f"{prefix}/economic",
                "booking": "on_transfer",
                "layout": 19,
                "default_payment_terms": 1,
                "payment_terms_by_method": {"card": 5, "mobilepay": 5},
                "timeout_seconds": ECONOMIC_TIMEOUT_SECONDS,
            },
        }
    )
    get_runtime().connections.put(connection)


# ---------------------------------------------------------------------------------------------
# Orders and deliveries
# ---------------------------------------------------------------------------------------------


@dataclass
class _Order:
    shop: _Shop
    versions: list[dict[str, Any]]
    rejected: bool
    webhooks_lost: bool

    @property
    def final(self) -> dict[str, Any]:
        return self.versions[-1]


def _build_orders(
    settings: FaultSuiteSettings, shops: dict[int, _Shop], chance: random.Random, report: FaultSuiteReport
) -> list[_Order]:
    """Draw every order of the suite and return those of `shops`, the same ones whatever the workers."""
    samples = [loads_json(path.read_bytes())["body"]["data"] for path in _sample_paths()]
    consumer, business = samples[0], samples[1]
    base = datetime(2026, 12, 1, tzinfo=UTC)
    orders = []
    for number in range(settings.orders):
        shop = shops.get(number % settings.connections)
        template = business if chance.random() < 0.1 else consumer
        order = copy.deepcopy(template)
        order["id"] = f"ord_f{number:05d}"
        order["number"] = f"F{number:05d}"
        if order["customer"]["type"] == "consumer":
            # A pool of customers per shop, so most orders find an existing customer.
            customer_number = chance.randrange(40)
            order["customer"].update(
                id=f"cus_f{customer_number:03d}",
                name=f"Test Customer {customer_number:03d}",
                email=f"test.customer.{customer_number:03d}@example.com",
            )
        rejected = chance.random() < settings.rejected_rate
        if rejected:
            order["currency"] = UNKNOWN_CURRENCY
        created = base + timedelta(minutes=number)
        order["created_at"] = created.isoformat().replace("+00:00", "Z")
        versions = []
        if chance.random() < settings.two_version_rate:
            waiting = {**copy.deepcopy(order), "status": "waiting_for_payment"}
            waiting["updated_at"] = order["created_at"]
            versions.append(waiting)
        order["status"] = "confirmed"
        order["updated_at"] = (created + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
        versions.append(order)
        lost = chance.random() < settings.lost_webhook_rate
        if shop is not None:
            orders.append(_Order(shop, versions, rejected, lost))
    report.orders = len(orders)
    report.rejected_orders = sum(order.rejected for order in orders)
    report.lost_webhook_orders = sum(order.webhooks_lost for order in orders)
    return orders


def _sample_paths() -> list[Any]:
    from hubctl.commands import DELIVERIES

    return [
        DELIVERIES / "01-order-created-consumer-dk.json",
        DELIVERIES / "02-order-updated-business-dk.json",
    ]


def _put_orders(orders: list[_Order]) -> None:
    for order in orders:
        order.shop.bemakers.put_order(order.final)


def _schedule_deliveries(
    settings: FaultSuiteSettings, orders: list[_Order], chance: random.Random, report: FaultSuiteReport
) -> list[tuple[str, Delivery]]:
    deliveries: list[tuple[str, Delivery]] = []
    for order in orders:
        if order.webhooks_lost:
            continue
        for index, version in enumerate(order.versions):
            delivery_id = f"dlv_{version['id']}_{index}"
            body = {
                "id": delivery_id,
                "type": "order.created" if index == 0 else "order.updated",
                "created_at": version["updated_at"],
                "data": version,
            }
            raw = dumps_json(body).encode("utf-8")
            for _ in range(chance.randint(1, 3)):
                headers = {"Content-Type": "application/json", "X-Bemakers-Delivery": delivery_id}
                deliveries.append((order.shop.connection_id, Delivery(delivery_id, headers, raw)))
    chance.shuffle(deliveries)
    report.deliveries_sent = len(deliveries)
    return deliveries


# ---------------------------------------------------------------------------------------------
# Crashes, draining, polling and redriving
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _crashes(settings: FaultSuiteSettings, chance: random.Random) -> Iterator[list[Lease]]:
    """Make `Ledger.finish` crash at `crash_rate` before it writes; yield the leases it left behind."""
    crashed: list[Lease] = []
    finish = Ledger.finish
    sleep_free_init = JsonHttpClient.__init__

    def finish_or_crash(ledger: Ledger, lease: Lease, **arguments: Any) -> Any:
        if chance.random() < settings.crash_rate:
            crashed.append(lease)
            raise SimulatedCrash
        return finish(ledger, lease, **arguments)

    def init_without_sleep(client: JsonHttpClient, *arguments: Any, **keywords: Any) -> None:
        # Backoff waits change no outcome here and would cost minutes; the retries still happen.
        keywords["sleep"] = lambda seconds: None
        sleep_free_init(client, *arguments, **keywords)

    with (
        mock.patch.object(Ledger, "finish", finish_or_crash),
        mock.patch.object(JsonHttpClient, "__init__", init_without_sleep),
    ):
        reset_runtime()
        yield crashed


def _drain(hub: LocalHub, report: FaultSuiteReport, crashed_leases: list[Lease]) -> None:
    def let_lease_lapse(crash: BaseException) -> None:
        # The redelivery comes after the visibility timeout, which outlasts the crashed
        # invocation's lease; here the lease is ended at once instead of waiting.
        while crashed_leases:
            _expire_lease(crashed_leases.pop())

    drained = hub.drain_queue(max_batches=1_000_000, crashes=(SimulatedCrash,), on_crash=let_lease_lapse)
    report.messages_processed += drained.succeeded
    report.failed_attempts += drained.failed_attempts
    report.crashes += drained.crashed_invocations
    report.dead_lettered_during_run += drained.dead_lettered


def _expire_lease(lease: Lease) -> None:
    record = lease.record
    table = boto3.resource("dynamodb", region_name=REGION).Table(get_runtime().settings.ledger_table)
    table.update_item(
        Key={
            "pk": f"{record.connection_id}#{record.kind}#{record.document_id}",
            "sk": f"target#{record.target}",
        },
        UpdateExpression="SET lease_expires_at = :past",
        ConditionExpression="lease_owner = :owner",
        ExpressionAttributeValues={":past": 0, ":owner": lease.owner},
    )


def _poll_until_done(hub: LocalHub, report: FaultSuiteReport, crashed_leases: list[Lease]) -> None:
    """Run the order poll, as the schedule would, until a run reads every connection without failing."""
    now = datetime.now(UTC)
    for attempt in range(20):
        try:
            hub.run_schedule(now=now + timedelta(minutes=5 * attempt))
        except Exception:  # noqa: BLE001 - a failed run is retried by the next schedule
            _drain(hub, report, crashed_leases)
            continue
        _drain(hub, report, crashed_leases)
        return
    raise RuntimeError("the order poll failed 20 times in a row")


def _redrive(hub: LocalHub) -> int:
    from hubctl.redrive import redrive

    result = redrive(boto3.client("sqs", region_name=REGION), hub.queue_url("OrdersDeadLetterQueue"))
    return result.moved


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _check_documents(orders: list[_Order], shops: list[_Shop], report: FaultSuiteReport) -> None:
    references: dict[str, Counter[str]] = {}
    for shop in shops:
        invoices = [*shop.economic.draft_invoices.values(), *shop.economic.booked_invoices.values()]
        references[shop.connection_id] = Counter(str(invoice["references"]["other"]) for invoice in invoices)
        report.invoices += len(invoices)
        customers = Counter(
            customer.get("email") or customer.get("corporateIdentificationNumber")
            for customer in shop.economic.customers.values()
        )
        report.duplicate_customers += sum(count - 1 for count in customers.values() if count > 1)
    for order in orders:
        count = references[order.shop.connection_id][f"bemakers-order:{order.final['id']}"]
        expected = 0 if order.rejected else 1
        if count > 1:
            report.duplicate_invoices += count - 1
        if count < expected:
            report.orders_without_invoice += 1


def _check_ledger(orders: list[_Order], report: FaultSuiteReport) -> None:
    ledger = get_runtime().ledger
    for order in orders:
        record = ledger.get(order.shop.connection_id, "order", order.final["id"], "economic")
        state = record.state if record else None
        report.leases_taken += record.attempts if record else 0
        if order.rejected and state is not TransferState.FAILED:
            report.rejected_not_failed += 1
        if not order.rejected and state is not TransferState.TRANSFERRED:
            report.orders_not_transferred += 1


def _check_log(shops: list[_Shop], report: FaultSuiteReport) -> None:
    ledger = get_runtime().ledger
    since = datetime.now(UTC) - timedelta(days=1)
    for shop in shops:
        for entry in ledger.connection_log(shop.connection_id, since=since):
            report.log_steps[entry.state.value] += 1
    # A start is logged with the step that ends it, so a lease without an end shows only in
    # the target record's count of leases.
    report.unfinished_starts = report.leases_taken - report.log_steps[TransferState.IN_PROGRESS.value]


def _count_notices(queue_url: str) -> int:
    sqs = boto3.client("sqs", region_name=REGION)
    count = 0
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return count
        for message in messages:
            if json.loads(message["Body"]).get("type") == "transfer_failed":
                count += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _count_metrics(output: str, report: FaultSuiteReport) -> None:
    for line in output.splitlines():
        if '"TransferSteps"' not in line:
            continue
        blob = json.loads(line)
        report.metric_steps[blob["state"]] += int(sum(blob["TransferSteps"]))


def _check_counts(report: FaultSuiteReport) -> None:
    checks = [
        (report.duplicate_invoices == 0, f"{report.duplicate_invoices} duplicate invoices"),
        (report.duplicate_customers == 0, f"{report.duplicate_customers} duplicate customers"),
        (report.orders_without_invoice == 0, f"{report.orders_without_invoice} orders have no invoice"),
        (
            report.orders_not_transferred == 0,
            f"{report.orders_not_transferred} orders are not recorded transferred",
        ),
        (
            report.rejected_not_failed == 0,
            f"{report.rejected_not_failed} rejected orders are not recorded failed",
        ),
        (
            report.dead_letter_queue_depth == 0,
            f"{report.dead_letter_queue_depth} messages are left in the DLQ",
        ),
        (
            report.metric_steps
            == report.log_steps + Counter({TransferState.IN_PROGRESS.value: report.crashes}),
            f"TransferSteps metrics {dict(report.metric_steps)} differ from the log {dict(report.log_steps)}"
            f" and {report.crashes} crashed starts",
        ),
        (
            report.unfinished_starts == report.crashes,
            f"{report.unfinished_starts} leases without a logged end, but {report.crashes} crashes",
        ),
        (
            report.log_steps[TransferState.FAILED.value] >= report.rejected_orders,
            "fewer failed steps in the log than rejected orders",
        ),
        (
            report.failure_notices == report.rejected_orders,
            f"{report.failure_notices} failure notices for {report.rejected_orders} rejected orders",
        ),
        (
            report.log_steps[TransferState.RETRYING.value] > 0 or report.settings.fault_rate == 0,
            "no retry is in the log although target calls failed",
        ),
    ]
    report.problems.extend(message for passed, message in checks if not passed)
