"""`hubctl bench`: run every benchmark and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hubctl.bench import burst, clients, cold_start, inventory, package, per_document, products
from hubctl.bench.aws_calls import AwsCallRecorder
from hubctl.bench.documents import order_delivery
from hubctl.bench.report import Report, write_report
from hubctl.bench.scenarios import SCENARIOS, WEBHOOK_ORDER_LINES
from hubctl.bench.stack import BenchStack
from hubctl.local_stack import describe_functions, load_template

REPOSITORY = Path(__file__).resolve().parents[2]
INVENTORY_CHANGED_PERCENT = 1
"""Share of the inventory benchmark's SKUs whose stock changes before the measured import."""


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gb: float
    python: str
    system: str
    load_before: tuple[float, float, float]


def _describe_machine() -> Machine:
    cpu = platform.processor() or platform.machine()
    memory_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return Machine(
        cpu=cpu,
        cores=os.cpu_count() or 0,
        memory_gb=memory_gb,
        python=platform.python_version(),
        system=platform.platform(),
        load_before=load,
    )


def _template_variables(template: dict[str, object]) -> dict[str, str]:
    """Return the Globals environment variables that are plain strings, as the functions get them."""
    globals_ = template.get("Globals") or {}
    function = globals_.get("Function", {}) if isinstance(globals_, dict) else {}
    variables = (function.get("Environment") or {}).get("Variables") or {}
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def _json_parse_floor(units: int, runs: int) -> float:
    """Return the median time of json.loads alone per webhook body, in milliseconds."""
    bodies = [order_delivery(index, lines=WEBHOOK_ORDER_LINES).body for index in range(units)]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        for body in bodies:
            json.loads(body)
        samples.append((time.perf_counter() - started) / units)
    return statistics.median(samples) * 1000


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(arguments: argparse.Namespace) -> int:
    started = time.perf_counter()
    recorder = AwsCallRecorder().install()
    template = load_template()
    functions = describe_functions(template)
    machine = _describe_machine()
    checkpoints = tuple(int(value) for value in arguments.burst_checkpoints.split(","))

    _progress(f"cold start: {len(functions)} functions, {arguments.rounds} interleaved rounds")
    cold = cold_start.measure(
        functions,
        rounds=arguments.rounds,
        importtime_runs=3,
        template_variables=_template_variables(template),
    )

    in_process: dict[str, per_document.ScenarioFigures] = {}
    _progress("per document, moto in this process")
    with BenchStack() as stack:
        for logical_id in functions:
            if logical_id in SCENARIOS:
                in_process[logical_id] = per_document.measure(
                    stack, SCENARIOS[logical_id], recorder, runs=arguments.runs, units=arguments.units
                )

    on_server: dict[str, per_document.ScenarioFigures] = {}
    _progress("per document, moto in a child process")
    with BenchStack(moto_server=True) as stack:
        for logical_id in functions:
            if logical_id in SCENARIOS:
                on_server[logical_id] = per_document.measure(
                    stack, SCENARIOS[logical_id], recorder, runs=arguments.runs, units=arguments.units
                )
        client_costs = clients.measure(stack, calls=200)

    json_floor_ms = _json_parse_floor(arguments.units, arguments.runs)

    _progress(f"burst: checkpoints {checkpoints}, budget {arguments.burst_budget_seconds:.0f} s")
    burst_figures = burst.run_in_child(checkpoints=checkpoints, budget_seconds=arguments.burst_budget_seconds)

    inventory_figures = None
    if arguments.inventory_skus > 0:
        changed = arguments.inventory_skus * INVENTORY_CHANGED_PERCENT // 100
        _progress(f"inventory: {arguments.inventory_skus:,} SKUs, {changed:,} changed, moto in this process")
        inventory_figures = inventory.measure(recorder, skus=arguments.inventory_skus, changed=changed)

    product_figures = None
    if arguments.product_variants > 0:
        _progress(f"products: {arguments.product_variants:,} variants, moto in this process")
        product_figures = products.measure(recorder, variants=arguments.product_variants)

    _progress("package sizes")
    package_figures = package.measure(template, REPOSITORY / ".aws-sam" / "build")

    report = Report(
        command=arguments.command_line,
        started_at=datetime.now(UTC),
        machine=machine,
        load_after=os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0),
        functions=functions,
        template=template,
        cold=cold,
        in_process=in_process,
        on_server=on_server,
        client_costs=client_costs,
        json_floor_ms=json_floor_ms,
        burst=burst_figures,
        package=package_figures,
        inventory=inventory_figures,
        products=product_figures,
        runs=arguments.runs,
        units=arguments.units,
        wall_seconds=time.perf_counter() - started,
    )
    output = Path(arguments.output)
    write_report(report, output)
    _progress(f"wrote {output} in {report.wall_seconds:.0f} s")
    return 0
