"""The inventory benchmark: a large Ongoing catalogue with a few changed articles, into Bemakers.

It seeds the Ongoing sandbox with one article per SKU, in one warehouse that the demo
connection maps to a Bemakers location, and runs the inventory import until it has pushed
every level. Then it changes a share of the articles' stock and measures the next import:
wall time, invocations, the stock levels the Bemakers sandbox received and the AWS calls.
Last it times the in-memory comparison of the push core (`collect_levels` and
`changed_levels`) over the whole catalogue at once, with CPU time.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.connectors.ongoing import OngoingClient
from hub.inventory.base import StockReading
from hub.inventory.ongoing import OngoingStockSource
from hub.inventory.push import PushCounts, changed_levels, collect_levels
from hub.runtime import get_runtime
from hubctl.bench.aws_calls import AwsCallRecorder
from hubctl.bench.stack import BenchStack
from hubctl.demo import DEMO_CONNECTION
from hubctl.local import INVENTORY_FUNCTION

WAREHOUSE = "DK1"
"""The Ongoing warehouse code that the demo connection maps to LOCATION."""
LOCATION = "main-warehouse"
STOCK_LEVELS_PATH = "/v1/stock-levels"
FIRST_STOCK = 100
MAX_INVOCATIONS = 50
"""Invocations of one import that make the benchmark give up, in case a run never completes."""


@dataclass(frozen=True)
class ImportRun:
    """One import, from the first invocation until one reports it complete."""

    invocations: int
    seconds: float
    cpu_seconds: float
    """CPU time of the invoking thread: the hub, botocore and, with moto in this process, moto."""
    aws_cpu_seconds: float
    """The part of `cpu_seconds` spent inside AWS calls."""
    stock_requests: int
    """`PUT /v1/stock-levels` requests the Bemakers sandbox received."""
    levels_received: int
    """Stock levels in those requests: the Bemakers writes."""
    dynamodb_reads: int
    dynamodb_writes: int
    aws_calls: int


@dataclass(frozen=True)
class InventoryFigures:
    skus: int
    changed: int
    """Articles whose stock changed between the first and the measured import."""
    seed_seconds: float
    """Wall time of adding the articles to the sandboxes, in seconds."""
    first: ImportRun
    """The first import, which pushes every level."""
    second: ImportRun
    """The measured import after the change."""
    comparison_cpu_seconds: float
    """Median CPU seconds of `collect_levels` and `changed_levels` over the whole catalogue."""
    comparison_runs: int
    last_pushed_levels: int
    """Entries in the map of last pushed levels that the comparison ran against."""
    comparison_changed: int
    """Levels the timed comparison found changed; equals `changed` when it compared what was pushed."""
    total_seconds: float


def article_number(index: int) -> str:
    return f"BENCH-{index:06d}"


def changed_indexes(skus: int, changed: int) -> list[int]:
    """Return `changed` article indexes spread evenly over the catalogue, and so over its pages."""
    if not 0 <= changed <= skus:
        raise ValueError(f"changed must be between 0 and the SKU count {skus}, got {changed}")
    if changed == 0:
        return []
    step = skus / changed
    return [int(number * step) for number in range(changed)]


def seed_catalogue(stack: BenchStack, skus: int) -> None:
    """Add one article per SKU to the Ongoing sandbox and make the SKUs known to Bemakers."""
    numbers = [article_number(index) for index in range(skus)]
    for number in numbers:
        stack.ongoing.add_article(number, f"Bench article {number}", {WAREHOUSE: FIRST_STOCK})
    stack.bemakers.add_products(numbers, [LOCATION])


def run_import(stack: BenchStack, recorder: AwsCallRecorder) -> ImportRun:
    """Invoke the inventory import function until it reports a complete run, and count what it did."""
    requests_before = len(stack.bemakers.requests)
    invocations = 0
    started = time.perf_counter()
    cpu_started = time.thread_time()
    with recorder.recording() as tally, stack.quiet():
        while True:
            result: dict[str, Any] = stack.local.run_schedule(INVENTORY_FUNCTION)
            invocations += 1
            if result["complete"]:
                break
            if invocations >= MAX_INVOCATIONS:
                raise RuntimeError(
                    f"the inventory import was still incomplete after {invocations} invocations,"
                    " so the benchmark stopped"
                )
    cpu_seconds = time.thread_time() - cpu_started
    seconds = time.perf_counter() - started

    bodies = [
        request.body
        for request in stack.bemakers.requests[requests_before:]
        if request.method == "PUT" and request.path == STOCK_LEVELS_PATH
    ]
    return ImportRun(
        invocations=invocations,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        aws_cpu_seconds=tally.cpu_seconds,
        stock_requests=len(bodies),
        levels_received=sum(len(body["levels"]) for body in bodies),
        dynamodb_reads=tally.dynamodb_reads,
        dynamodb_writes=tally.dynamodb_writes,
        aws_calls=tally.total,
    )


def read_catalogue(stack: BenchStack) -> list[StockReading]:
    """Read every page of the Ongoing stock source, as the import does, and return all readings."""
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    if connection.ongoing is None:
        raise RuntimeError(
            "the bench connection has no Ongoing settings: start BenchStack(economic_only=False)"
        )
    source = OngoingStockSource(connection.ongoing, OngoingClient.from_settings(connection.ongoing))
    readings: list[StockReading] = []
    position: str | None = None
    while True:
        page = source.read_page(position)
        readings.extend(page.readings)
        position = page.next_position
        if position is None:
            return readings


def time_comparison(
    readings: list[StockReading], last: dict[tuple[str, str], Decimal], runs: int
) -> tuple[float, int]:
    """Return the median CPU seconds of the push core's comparison over `readings`, and its changed count."""
    connection = get_runtime().connections.get(DEMO_CONNECTION)
    samples = []
    changed = 0
    for _ in range(runs):
        started = time.process_time()
        levels = collect_levels("ongoing", readings, PushCounts(), connection.stock_master)
        changed = len(changed_levels(levels, last))
        samples.append(time.process_time() - started)
    return statistics.median(samples), changed


def measure(
    recorder: AwsCallRecorder,
    *,
    skus: int,
    changed: int,
    comparison_runs: int = 7,
    moto_server: bool = False,
) -> InventoryFigures:
    """Run the whole inventory benchmark on a fresh bench stack and return its figures."""
    started = time.perf_counter()
    with BenchStack(economic_only=False, moto_server=moto_server) as stack:
        seed_started = time.perf_counter()
        seed_catalogue(stack, skus)
        seed_seconds = time.perf_counter() - seed_started

        first = run_import(stack, recorder)
        last_pushed = stack.bemakers.stock_levels

        for index in changed_indexes(skus, changed):
            stack.ongoing.set_stock(article_number(index), WAREHOUSE, FIRST_STOCK + 1 + index % 7)
        second = run_import(stack, recorder)

        with stack.quiet():
            readings = read_catalogue(stack)
        comparison_cpu, comparison_changed = time_comparison(readings, last_pushed, comparison_runs)

    return InventoryFigures(
        skus=skus,
        changed=changed,
        seed_seconds=seed_seconds,
        first=first,
        second=second,
        comparison_cpu_seconds=comparison_cpu,
        comparison_runs=comparison_runs,
        last_pushed_levels=len(last_pushed),
        comparison_changed=comparison_changed,
        total_seconds=time.perf_counter() - started,
    )
