"""The product import benchmark: a catalogue of 20,000 variants in e-conomic.

The catalogue is synced once into an empty Bemakers, then read again unchanged, then again
with 1 % of its prices changed. Each run invokes the product import function on its
schedule until it reports the run complete, as successive scheduled runs would. The figures
of the two later runs show whether the import's cost follows the changes or the catalogue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hubctl.bench.aws_calls import AwsCallRecorder
from hubctl.bench.stack import BenchStack
from hubctl.local import PRODUCT_IMPORT_FUNCTION

VARIANTS = 20_000
CHANGED_SHARE = Decimal("0.01")
SIZES = ("33CL", "50CL")
"""Each product has one variant per size, grouped by the demo connection's SKU prefix rule."""
MAX_INVOCATIONS = 50
"""Invocations one run may take before the benchmark gives up on it."""


@dataclass(frozen=True)
class ProductRun:
    invocations: int
    wall_seconds: float
    thread_cpu_seconds: float
    """CPU of the invoking thread: the handler, the HTTP clients and moto, which runs in-process."""
    aws_cpu_seconds: float
    """The part of `thread_cpu_seconds` inside AWS calls: botocore and moto's emulation."""
    bemakers_writes: int
    """POST and PATCH requests the Bemakers sandbox received."""
    dynamodb_reads: int
    dynamodb_writes: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ProductFigures:
    variants: int
    changed: int
    first: ProductRun
    unchanged: ProductRun
    after_change: ProductRun


def catalogue(variants: int, *, changed: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Return `variants` e-conomic products, with a higher price on the variant numbers in `changed`."""
    products = []
    for number in range(variants):
        base = f"BP{number // len(SIZES):05d}"
        size = SIZES[number % len(SIZES)]
        price = Decimal("30.00") + (Decimal("1.50") if number in changed else Decimal(0))
        products.append(
            {
                "productNumber": f"{base}-{size}",
                "name": f"Bench ale {base} {size.lower()}",
                "description": "ABV: 5.0\nPackaging: can\nExcise: beer\nDeposit: A",
                "barCode": f"2{number:012d}",
                "salesPrice": float(price),
                "costPrice": 11.25,
                "productGroup": {"productGroupNumber": 1},
                "unit": {"unitNumber": 1},
            }
        )
    return products


def _run(stack: BenchStack, recorder: AwsCallRecorder) -> ProductRun:
    writes_before = len(stack.bemakers.product_writes)
    created = updated = unchanged = invocations = 0
    started_wall, started_cpu = time.perf_counter(), time.thread_time()
    with recorder.recording() as tally, stack.quiet():
        while True:
            invocations += 1
            result = stack.local.run_schedule(PRODUCT_IMPORT_FUNCTION)
            if result.get("rejected") or result.get("skipped"):
                raise RuntimeError(f"the product import rejected or skipped products: {result}")
            created += int(result["created"])
            updated += int(result["updated"])
            unchanged += int(result["unchanged"])
            if result["complete"]:
                break
            if invocations >= MAX_INVOCATIONS:
                raise RuntimeError(f"the product import did not complete in {MAX_INVOCATIONS} invocations")
    return ProductRun(
        invocations=invocations,
        wall_seconds=time.perf_counter() - started_wall,
        thread_cpu_seconds=time.thread_time() - started_cpu,
        aws_cpu_seconds=tally.cpu_seconds,
        bemakers_writes=len(stack.bemakers.product_writes) - writes_before,
        dynamodb_reads=tally.dynamodb_reads,
        dynamodb_writes=tally.dynamodb_writes,
        created=created,
        updated=updated,
        unchanged=unchanged,
    )


def measure(recorder: AwsCallRecorder, *, variants: int = VARIANTS) -> ProductFigures:
    """Sync `variants` products, then run again unchanged, then with 1 % of their prices changed."""
    changed_count = int((Decimal(variants) * CHANGED_SHARE).to_integral_value())
    # Every 100th variant, spread over the whole catalogue.
    step = max(variants // max(changed_count, 1), 1)
    changed = frozenset(range(0, variants, step)[:changed_count])
    with BenchStack(economic_only=False) as stack:
        assert stack.economic is not None
        stack.economic.seed(products=catalogue(variants))
        first = _run(stack, recorder)
        unchanged = _run(stack, recorder)
        for product in catalogue(variants, changed=changed):
            if int(product["barCode"]) - 2 * 10**12 in changed:
                stack.economic.replace_product(product)
        after_change = _run(stack, recorder)
    return ProductFigures(
        variants=variants,
        changed=len(changed),
        first=first,
        unchanged=unchanged,
        after_change=after_change,
    )


def summary_row(figures: ProductFigures) -> list[str]:
    """Build the row of the figures-against-targets table."""
    met = figures.unchanged.bemakers_writes == 0 and figures.after_change.bemakers_writes == figures.changed
    return [
        f"Products: {figures.variants:,} variants, unchanged and {CHANGED_SHARE:.0%} changed",
        f"{figures.unchanged.bemakers_writes} and {figures.after_change.bemakers_writes} Bemakers writes",
        f"{figures.changed} changed variants",
        "0 writes unchanged; 1 write per changed product",
        "met" if met else "not met",
    ]


def section(figures: ProductFigures) -> str:
    """Render the Products section of docs/benchmarks.md."""
    rows = [
        [
            label,
            f"{run.invocations}",
            f"{run.wall_seconds:.1f} s",
            f"{run.thread_cpu_seconds:.1f} s",
            f"{run.thread_cpu_seconds - run.aws_cpu_seconds:.1f} s",
            f"{run.bemakers_writes:,}",
            f"{run.dynamodb_reads:,} / {run.dynamodb_writes:,}",
            f"{run.created:,} / {run.updated:,} / {run.unchanged:,}",
        ]
        for label, run in (
            ("first sync into an empty Bemakers", figures.first),
            ("unchanged catalogue", figures.unchanged),
            (f"{figures.changed} prices changed", figures.after_change),
        )
    ]
    header = [
        "run",
        "invocations",
        "wall",
        "CPU of the invoking thread",
        "of which outside AWS calls",
        "Bemakers writes",
        "DynamoDB reads / writes",
        "SKUs created / updated / unchanged",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    table = "\n".join(lines)
    return f"""## Products

{figures.variants:,} e-conomic products, two sizes of each beer, grouped by the demo
connection's SKU prefix rule into {figures.variants // len(SIZES):,} Bemakers products with
variants. The import runs three times on its schedule: into an empty Bemakers, again
with nothing changed, and again after {figures.changed} prices changed, every 100th
variant. The e-conomic and Bemakers sandboxes run in threads of this process, outside the
thread CPU. Moto runs in this process, inside the thread CPU, and most of that CPU is moto
turning the stored hashes into a Query response. The column outside AWS calls is the
hub's own work with its HTTP client.

{table}

- The unchanged run sends {figures.unchanged.bemakers_writes} writes to Bemakers and
  {figures.unchanged.dynamodb_writes} to DynamoDB: it reads the catalogue and the stored
  content hashes of the connection's SKUs ({figures.unchanged.dynamodb_reads} DynamoDB
  reads, the connection included), and compares.
- A changed variant costs one PATCH of its product, and its new hash goes out with up to
  24 others in one BatchWriteItem request.
- The hashes are written 25 per BatchWriteItem request, so the first sync makes one
  DynamoDB write request per 25 SKUs.
- The unchanged run still reads the whole catalogue from e-conomic, because e-conomic's
  change filter does not show deleted products (see docs/decisions.md). Its time grows
  with the catalogue, its writes do not.
"""
