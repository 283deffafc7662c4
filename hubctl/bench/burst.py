"""A burst of orders through the whole local stack: webhook → orders queue → transfer → e-conomic.

The hub (the functions, the local event source mapping and this harness) runs in this
process. Moto and the e-conomic sandbox run in a child process, because they keep every
item, message and request they receive, so their memory grows with the number of orders
by design. The memory of this process is therefore the hub's own.

Deliveries arrive in chunks, and the queue is drained after each chunk, so the queue
stays short. Moto's SQS scans every message of a queue on each receive and delete, so a
long queue would cost moto, not the hub, time that grows with its length.

The burst stops at the first checkpoint after which the next one would not fit in the
time budget at the rate measured so far.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

from hub.mapping.economic import order_reference_for
from hubctl.bench.documents import order_delivery, order_id
from hubctl.bench.scenarios import InvocationFailed
from hubctl.bench.stack import BenchStack
from hubctl.demo import DEMO_CONNECTION, DEMO_WEBHOOK_SECRET

CHUNK = 100
ORDER_LINES = 5


@dataclass(frozen=True)
class Checkpoint:
    orders: int
    seconds: float
    """Since the first delivery."""
    cpu_seconds: float
    """CPU time of this process since the first delivery. Other load on the machine changes
    it far less than `seconds`."""
    rss_mb: float
    """This process's resident memory after a garbage collection."""
    peak_rss_mb: float
    """This process's largest resident memory so far."""
    python_blocks: int
    """Memory blocks the Python allocator has handed out (sys.getallocatedblocks)."""


@dataclass(frozen=True)
class BurstFigures:
    order_lines: int
    chunk: int
    budget_seconds: float
    planned: tuple[int, ...]
    checkpoints: list[Checkpoint]
    peak_rss_mb: float
    lost: int
    """Orders without an e-conomic invoice."""
    duplicates: int
    """Invoices beyond the first for the same order, counted by `references.other`."""
    failed_attempts: int
    dead_lettered: int

    @property
    def orders(self) -> int:
        return self.checkpoints[-1].orders if self.checkpoints else 0

    @property
    def seconds(self) -> float:
        return self.checkpoints[-1].seconds if self.checkpoints else 0.0


def _rss_mb() -> float:
    """Return the current resident set size, from /proc where there is one."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return _peak_rss_mb()


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _deliver_chunk(stack: BenchStack, start: int, count: int) -> tuple[int, int]:
    hub = stack.local
    with stack.quiet():
        for index in range(start, start + count):
            delivery = order_delivery(index, lines=ORDER_LINES).signed(DEMO_WEBHOOK_SECRET)
            response = hub.deliver_webhook(DEMO_CONNECTION, delivery.headers, delivery.body)
            if response["statusCode"] != 202:
                raise InvocationFailed(f"the webhook function returned status {response['statusCode']}")
        report = hub.drain_queue("OrdersQueue", max_batches=count)
    return report.failed_attempts, report.dead_lettered


def run(*, checkpoints: tuple[int, ...], budget_seconds: float) -> BurstFigures:
    """Send orders until the last checkpoint, or the last one that fits in `budget_seconds`."""
    reached: list[Checkpoint] = []
    failed = dead = 0
    with BenchStack(moto_server=True, economic_in_child=True) as stack:
        started = time.perf_counter()
        cpu_started = time.process_time()
        delivered = 0
        for position, target in enumerate(checkpoints):
            while delivered < target:
                count = min(CHUNK, target - delivered)
                chunk_failed, chunk_dead = _deliver_chunk(stack, delivered, count)
                failed += chunk_failed
                dead += chunk_dead
                delivered += count
            gc.collect()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            reached.append(
                Checkpoint(delivered, elapsed, cpu, _rss_mb(), _peak_rss_mb(), sys.getallocatedblocks())
            )

            following = checkpoints[position + 1] if position + 1 < len(checkpoints) else None
            if following is not None and elapsed * following / delivered > budget_seconds:
                break

        # Before the check below, which reads every invoice back into this process.
        peak_rss_mb = _peak_rss_mb()
        references = stack.invoice_references()

    lost = sum(1 for index in range(delivered) if not references[_reference(index)])
    duplicates = sum(count - 1 for count in references.values() if count > 1)
    return BurstFigures(
        order_lines=ORDER_LINES,
        chunk=CHUNK,
        budget_seconds=budget_seconds,
        planned=checkpoints,
        checkpoints=reached,
        peak_rss_mb=peak_rss_mb,
        lost=lost,
        duplicates=duplicates,
        failed_attempts=failed,
        dead_lettered=dead,
    )


def _reference(index: int) -> str:
    return order_reference_for(order_id(index))


def run_in_child(*, checkpoints: tuple[int, ...], budget_seconds: float) -> BurstFigures:
    """Run the burst in a fresh interpreter, so that its memory figures are the burst's alone."""
    command = [
        sys.executable,
        "-m",
        "hubctl.bench.burst",
        "--checkpoints",
        ",".join(str(checkpoint) for checkpoint in checkpoints),
        "--budget-seconds",
        str(budget_seconds),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise RuntimeError(
            f"the burst failed with status {completed.returncode}:\n{completed.stderr[-3000:]}"
        )
    data = json.loads(completed.stdout.splitlines()[-1])
    data["planned"] = tuple(data["planned"])
    data["checkpoints"] = [Checkpoint(**checkpoint) for checkpoint in data["checkpoints"]]
    return BurstFigures(**data)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the burst and print its figures as one JSON line.")
    parser.add_argument(
        "--checkpoints", required=True, help="order counts to stop and measure at, e.g. 500,1000"
    )
    parser.add_argument(
        "--budget-seconds", type=float, required=True, help="time the burst may take, in seconds"
    )
    arguments = parser.parse_args()
    checkpoints = tuple(int(value) for value in arguments.checkpoints.split(","))
    figures = run(checkpoints=checkpoints, budget_seconds=arguments.budget_seconds)
    print(json.dumps(dataclasses.asdict(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
