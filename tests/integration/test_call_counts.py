"""AWS calls per document and per cold start: the counts behind docs/benchmarks.md, which timing
does not change.

Each function is driven through the benchmark scenario of `hubctl.bench.scenarios`, once as a
new execution environment (every runtime cache dropped) and once warm, with every botocore
call counted. No test here measures or asserts a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubctl.bench.aws_calls import AwsCallRecorder, CallTally
from hubctl.bench.per_document import RunResult, run_once
from hubctl.bench.scenarios import SCENARIOS, TRANSFER_ORDER_LINES
from hubctl.bench.stack import BenchStack

UNITS = 12
"""Documents per run: more than one SQS batch of 10, so a cold start spans several invocations."""
TRANSFER_FUNCTIONS = ("OrderTransferFunction", "CreditNoteTransferFunction")


@pytest.fixture(scope="module")
def recorder() -> Iterator[AwsCallRecorder]:
    installed = AwsCallRecorder().install()
    yield installed
    installed.uninstall()


@pytest.fixture(scope="module")
def stack(recorder: AwsCallRecorder) -> Iterator[BenchStack]:
    with BenchStack() as running:
        yield running


@pytest.fixture(scope="module")
def runs(stack: BenchStack, recorder: AwsCallRecorder) -> dict[str, tuple[RunResult, RunResult]]:
    """A cold run and a warm run of every scenario, by function."""
    results = {}
    for number, (function, scenario) in enumerate(SCENARIOS.items()):
        start = number * 1000
        cold = run_once(stack, scenario, recorder, start, UNITS, cold=True)
        warm = run_once(stack, scenario, recorder, start + UNITS, UNITS, cold=False)
        results[function] = (cold, warm)
    return results


def _per_unit(result: RunResult, count: int) -> float:
    return count / (result.units * result.targets)


@pytest.mark.parametrize("function", sorted(SCENARIOS))
def test_one_secret_read_per_cold_start(function: str, runs: dict[str, tuple[RunResult, RunResult]]) -> None:
    cold, warm = runs[function]

    assert cold.tally.secrets_reads == 1
    assert warm.tally.secrets_reads == 0


@pytest.mark.parametrize("function", ["WebhookFunction", *TRANSFER_FUNCTIONS])
def test_connection_read_once_per_cold_start(
    function: str, runs: dict[str, tuple[RunResult, RunResult]]
) -> None:
    cold, warm = runs[function]

    # The warm run reads the same documents without the connection, which stays cached.
    assert cold.tally.dynamodb_reads - warm.tally.dynamodb_reads == 1


@pytest.mark.parametrize("function", TRANSFER_FUNCTIONS)
def test_transfer_writes_three_items_per_target(
    function: str, runs: dict[str, tuple[RunResult, RunResult]]
) -> None:
    _, warm = runs[function]

    assert warm.targets >= 1
    assert _per_unit(warm, warm.tally.dynamodb_writes) <= 3


@pytest.mark.parametrize("function", TRANSFER_FUNCTIONS)
def test_transfer_reads_ledger_once_per_target(
    function: str, runs: dict[str, tuple[RunResult, RunResult]]
) -> None:
    _, warm = runs[function]

    assert _per_unit(warm, warm.tally.dynamodb_reads) == 1
    assert warm.tally.sqs_sends == 0


def test_webhook_calls_per_delivery(runs: dict[str, tuple[RunResult, RunResult]]) -> None:
    _, warm = runs["WebhookFunction"]
    tally: CallTally = warm.tally

    assert tally.dynamodb_reads == UNITS
    assert tally.dynamodb_writes == UNITS
    assert tally.sqs_sends == UNITS
    assert tally.total == 3 * UNITS


def test_poll_sends_in_batches(runs: dict[str, tuple[RunResult, RunResult]]) -> None:
    _, warm = runs["OrderPollFunction"]

    assert warm.tally.calls[("sqs", "SendMessage")] == 0
    assert warm.tally.calls[("sqs", "SendMessageBatch")] == -(-warm.units // 10)


def test_transfer_requests_per_order(runs: dict[str, tuple[RunResult, RunResult]]) -> None:
    _, warm = runs["OrderTransferFunction"]

    # Draft and booked invoice by reference, customer lookup and create, one lookup for
    # the order's products (up to 20 per request), draft create.
    assert TRANSFER_ORDER_LINES <= 20
    assert warm.target_requests == 6 * UNITS
