"""CPU, time and AWS calls per document, for each function that has a scenario.

Each scenario runs once cold, as a new execution environment would (every cache of the
runtime dropped first), then several times warm. The cold run gives the calls per cold
start, such as Secrets Manager reads. The warm runs give the figures per document: the
median of the runs for times, the total over all warm runs for call counts.

CPU is `time.thread_time()` of the invoking thread. The sandboxes respond on their own
server threads, so their work is not in it. Moto in this process is: the time inside
botocore calls, moto's emulation with botocore's own work, is reported beside the total.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from hub.runtime import get_runtime, reset_runtime
from hubctl.bench.aws_calls import AwsCallRecorder, CallTally
from hubctl.bench.scenarios import Scenario
from hubctl.bench.stack import BenchStack
from hubctl.demo import DEMO_CONNECTION


@dataclass(frozen=True)
class RunResult:
    units: int
    targets: int
    cpu_seconds: float
    wall_seconds: float
    log_characters: int
    invocations: int
    target_requests: int
    """Requests the sandboxes received: the calls to the connected systems."""
    tally: CallTally


@dataclass(frozen=True)
class ScenarioFigures:
    """One function's figures per unit, or per unit and target for a per-target scenario."""

    scenario: Scenario
    units_per_run: int
    runs: int
    targets: int
    cpu_ms: float
    """Median over the warm runs of the invoking thread's CPU per unit."""
    aws_cpu_ms: float
    """Median of the CPU per unit spent inside botocore calls."""
    hub_cpu_ms: float
    """Median of the CPU per unit spent outside botocore calls."""
    wall_ms: float
    log_bytes: float
    """Median of the log and EMF output per unit, in characters (bytes for ASCII)."""
    invocations: float
    """Function invocations per unit."""
    target_requests: float
    """Requests to the connected systems (the sandboxes) per unit."""
    dynamodb_reads: float
    dynamodb_writes: float
    sqs_sends: float
    secrets_reads: float
    cold: CallTally
    """Every call of the cold run."""
    cold_units: int


def run_once(
    stack: BenchStack, scenario: Scenario, recorder: AwsCallRecorder, start: int, count: int, *, cold: bool
) -> RunResult:
    """Prepare `count` units numbered from `start`, invoke the function on them and measure it."""
    workload = scenario.prepare(stack, start, count)
    if cold:
        reset_runtime()
    completed: list[int | None] = []
    log_started = stack.sink.characters
    requests_started = _sandbox_requests(stack)
    with stack.quiet(), recorder.recording() as tally:
        cpu_started, wall_started = time.thread_time(), time.perf_counter()
        for event in workload.events:
            completed.append(scenario.check(stack.local.invoke(scenario.function, event)))
        cpu_seconds = time.thread_time() - cpu_started
        wall_seconds = time.perf_counter() - wall_started

    counted = [units for units in completed if units is not None]
    units = sum(counted) if counted else workload.units
    targets = 1
    if scenario.per_target and workload.documents:
        kind, document_id = workload.documents[0]
        targets = max(len(get_runtime().ledger.records(DEMO_CONNECTION, kind, document_id)), 1)
    log_characters = stack.sink.characters - log_started
    target_requests = _sandbox_requests(stack) - requests_started
    return RunResult(
        units,
        targets,
        cpu_seconds,
        wall_seconds,
        log_characters,
        len(workload.events),
        target_requests,
        tally,
    )


def _sandbox_requests(stack: BenchStack) -> int:
    economic = len(stack.economic.requests) if stack.economic is not None else 0
    return economic + len(stack.bemakers.requests) + len(stack.ongoing.requests) + len(stack.zettle.requests)


def measure(
    stack: BenchStack, scenario: Scenario, recorder: AwsCallRecorder, *, runs: int, units: int
) -> ScenarioFigures:
    """Run the scenario once cold and `runs` times warm, `units` units each time."""
    cold = run_once(stack, scenario, recorder, 0, units, cold=True)
    warm = [run_once(stack, scenario, recorder, (run + 1) * units, units, cold=False) for run in range(runs)]

    def per_unit(values: list[float]) -> float:
        return statistics.median(values) * 1000

    targets = warm[0].targets
    total_units = sum(result.units for result in warm) * (targets if scenario.per_target else 1)

    def per_total(count: int) -> float:
        return count / total_units

    def scale(result: RunResult) -> int:
        return result.units * (result.targets if scenario.per_target else 1)

    return ScenarioFigures(
        scenario=scenario,
        units_per_run=units,
        runs=runs,
        targets=targets,
        cpu_ms=per_unit([result.cpu_seconds / scale(result) for result in warm]),
        aws_cpu_ms=per_unit([result.tally.cpu_seconds / scale(result) for result in warm]),
        hub_cpu_ms=per_unit(
            [(result.cpu_seconds - result.tally.cpu_seconds) / scale(result) for result in warm]
        ),
        wall_ms=per_unit([result.wall_seconds / scale(result) for result in warm]),
        log_bytes=statistics.median(result.log_characters / scale(result) for result in warm),
        invocations=per_total(sum(result.invocations for result in warm)),
        target_requests=per_total(sum(result.target_requests for result in warm)),
        dynamodb_reads=per_total(sum(result.tally.dynamodb_reads for result in warm)),
        dynamodb_writes=per_total(sum(result.tally.dynamodb_writes for result in warm)),
        sqs_sends=per_total(sum(result.tally.sqs_sends for result in warm)),
        secrets_reads=per_total(sum(result.tally.secrets_reads for result in warm)),
        cold=cold.tally,
        cold_units=cold.units,
    )
