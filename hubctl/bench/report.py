"""docs/benchmarks.md: every figure next to its target, written from one benchmark run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.connectors.ongoing import ARTICLES_PAGE_SIZE
from hubctl.bench import cost, products
from hubctl.bench.burst import BurstFigures
from hubctl.bench.clients import ClientCosts
from hubctl.bench.cold_start import ESSENTIALS, ColdStartFigures
from hubctl.bench.inventory import LOCATION, WAREHOUSE, InventoryFigures
from hubctl.bench.package import PackageFigures
from hubctl.bench.per_document import ScenarioFigures
from hubctl.bench.scenarios import SCENARIOS, TRANSFER_ORDER_LINES, WEBHOOK_ORDER_LINES, order_message_bytes
from hubctl.local import INVENTORY_FUNCTION, PRODUCT_IMPORT_FUNCTION
from hubctl.local_stack import FunctionSpec

if TYPE_CHECKING:
    from hubctl.bench.run import Machine

COLD_START_TARGET = 1.25
WEBHOOK_TARGET_MS = 2.0
TRANSFER_TARGET_MS = 3.0
WRITES_TARGET = 3
SECRETS_TARGET = 1
BURST_TARGET_ORDERS = 10_000
FLAT_MEMORY_MB_PER_1000 = 1.0
"""Largest RSS growth per 1,000 orders that still counts as flat."""
COMPARISON_TARGET_SECONDS = 0.5
"""CPU time the inventory comparison may take for the whole catalogue."""
WEBHOOK_FUNCTION = "WebhookFunction"
TRANSFER_FUNCTION = "OrderTransferFunction"


@dataclass
class Report:
    command: str
    started_at: datetime
    machine: Machine
    load_after: tuple[float, float, float]
    functions: dict[str, FunctionSpec]
    template: dict[str, Any]
    cold: ColdStartFigures
    in_process: dict[str, ScenarioFigures]
    on_server: dict[str, ScenarioFigures]
    client_costs: ClientCosts
    json_floor_ms: float
    burst: BurstFigures
    package: PackageFigures | None
    inventory: InventoryFigures | None
    products: products.ProductFigures | None
    runs: int
    units: int
    wall_seconds: float
    summary: list[list[str]] = field(default_factory=list)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _result(met: bool, explanation: str = "") -> str:
    return "met" if met else f"not met: {explanation}"


def _size(size: int) -> str:
    return f"{size / 2**20:.2f} MB" if size >= 2**20 else f"{size / 2**10:.1f} KB"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


SCHEDULED_WITHOUT_DOCUMENTS = frozenset({"StatusReportFunction", "HeartbeatFunction"})
"""Functions that report on the hub on a schedule and carry no documents of their own."""


def _no_scenario(report: Report, logical_id: str, reason: str) -> str:
    if logical_id == INVENTORY_FUNCTION and report.inventory is not None:
        return "per catalogue, not per document: see Inventory"
    if logical_id == PRODUCT_IMPORT_FUNCTION and report.products is not None:
        return "per catalogue, not per document: see Products"
    if logical_id in SCHEDULED_WITHOUT_DOCUMENTS:
        return "no documents: one run per schedule, so only its cold start and package are measured"
    return f"not measured yet: {reason}"


def _memory_mb(template: dict[str, Any]) -> int:
    return int(((template.get("Globals") or {}).get("Function") or {}).get("MemorySize", 128))


# -- sections -------------------------------------------------------------------------------------


def _header(report: Report) -> str:
    machine = report.machine
    load_before = ", ".join(f"{value:.2f}" for value in machine.load_before)
    load_after = ", ".join(f"{value:.2f}" for value in report.load_after)
    return f"""# Benchmarks

Written by `{report.command}` (what `make bench` runs) on {report.started_at:%Y-%m-%d %H:%M} UTC,
in {report.wall_seconds:.0f} seconds. Do not edit by hand: run `make bench` again. The code is in
`hubctl/bench/`, and "How the suite works" at the end says how to add a flow's figures.

| CPU | cores | memory | Python | OS | load average before / after (1, 5, 15 min) |
| --- | --- | --- | --- | --- | --- |
| {machine.cpu} | {machine.cores} | {machine.memory_gb:.1f} GB | {machine.python} | {machine.system} | {load_before} / {load_after} |

The machine is shared, so times vary between runs. Each figure is the median of several
runs, targets are judged on ratios or on CPU time where they can be, and a load average
above the core count means other work competed for the CPU while this ran.
"""


def _cold_start(report: Report) -> str:
    cold = report.cold
    budget_ms = (COLD_START_TARGET - 1) * cold.floor_ms
    out_of_reach = cold.essentials_ratio > COLD_START_TARGET
    rows = []
    for handler in cold.handlers:
        explanation = (
            f"pydantic and the Powertools Logger alone need {cold.essentials_ratio:.2f}× (below)"
            if out_of_reach
            else f"{handler.median_ms - cold.floor_ms * COLD_START_TARGET:.0f} ms over the target"
        )
        met = handler.ratio <= COLD_START_TARGET
        rows.append(
            [
                f"`{handler.module_path}`",
                f"{handler.median_ms:.0f} ms",
                f"{handler.ratio:.2f}×",
                f"≤ {COLD_START_TARGET}×",
                _result(met, explanation),
            ]
        )
        report.summary.append(
            [
                f"Cold start, {handler.function}",
                f"{handler.ratio:.2f}× the floor ({handler.median_ms:.0f} ms)",
                f"`import boto3`: {cold.floor_ms:.0f} ms",
                f"≤ {COLD_START_TARGET}×",
                _result(met, "out of reach, see Cold start" if out_of_reach else "see Cold start"),
            ]
        )

    groups = sorted(
        {name for handler in cold.handlers for name in handler.breakdown_ms} | set(cold.floor_breakdown_ms)
    )
    breakdown_rows = []
    for name in groups:
        floor = cold.floor_breakdown_ms.get(name, 0.0)
        breakdown_rows.append(
            [name] + [f"{handler.breakdown_ms.get(name, 0.0) - floor:+.0f}" for handler in cold.handlers]
        )
    breakdown_header = ["package group"] + [handler.function for handler in cold.handlers]

    verdict = (
        f"The target is out of reach for this hub: importing pydantic and the Powertools Logger and "
        f"Metrics after boto3 (`{ESSENTIALS}`) takes {cold.essentials_ratio:.2f}× the floor, "
        f"{cold.essentials_ms - cold.floor_ms:.0f} ms more than boto3 alone, where the target leaves "
        f"{budget_ms:.0f} ms. Every handler validates its input with pydantic models and logs "
        f"with Powertools, so none can get under the target while it does."
        if out_of_reach
        else "pydantic and the Powertools Logger fit in the target, so the excess above is the hub's own."
    )
    return f"""## Cold start

Each handler module imported in a fresh interpreter with `shared/` on `sys.path`, as the
layer is on Lambda, against `python -c "import boto3"` (the floor: the runtime provides
boto3 and every handler imports it). {cold.rounds} interleaved rounds; the ratio is taken per round,
then the median. Every run reads bytecode from one cache folder that a first, unmeasured
round filled.

{_table(["handler", "import", "× floor", "target", "result"], rows)}

Floor: `import boto3` {cold.floor_ms:.0f} ms. The least a handler of this hub needs,
`{ESSENTIALS}`: {cold.essentials_ms:.0f} ms, {cold.essentials_ratio:.2f}× the floor.

{verdict}

Where each handler's time over the floor goes, in ms of `-X importtime` self time (median
of 3 runs; `-X importtime` slows imports down, so these add up to more than the times above):

{_table(breakdown_header, breakdown_rows)}

- **pydantic**: the library itself, and the hub's models are built when their modules are
  imported, which shows under "hub".
- **Powertools**: the batch utility (transfer functions) imports `asyncio`, which shows
  under "standard library", and every class of `aws_lambda_powertools.utilities.data_classes`:
  importing one submodule runs the package's `__init__`, which imports them all, so a
  narrower import does not help.
- **requests**: the transfer and poll functions call e-conomic and Bemakers on nearly every
  invocation, so importing it later would move the time, not save it.
- Building the models only on first use (pydantic's `defer_build`) was tried for the models
  some functions never validate, and saved under 1 ms. Most of the time is pydantic's
  one-time setup, which the first model pays wherever it is built.
"""


def _per_document(report: Report) -> str:
    header = [
        "function",
        "unit",
        "CPU per unit, moto in process",
        "of which in AWS calls",
        "hub without AWS calls",
        "CPU per unit, moto in a child process",
        "wall per unit",
        "requests to targets",
        "log output",
    ]
    rows = []
    for logical_id in report.functions:
        figures = report.in_process.get(logical_id)
        server = report.on_server.get(logical_id)
        if figures is None or server is None:
            rows.append(
                [logical_id, "-"]
                + [_no_scenario(report, logical_id, "no scenario in hubctl/bench/scenarios.py")]
                + [""] * 6
            )
            continue
        unit = figures.scenario.unit + (" and target" if figures.scenario.per_target else "")
        rows.append(
            [
                logical_id,
                unit,
                f"{figures.cpu_ms:.2f} ms",
                f"{figures.aws_cpu_ms:.2f} ms",
                f"{figures.hub_cpu_ms:.2f} ms",
                f"{server.cpu_ms:.2f} ms",
                f"{figures.wall_ms:.2f} ms",
                f"{figures.target_requests:.2f}",
                f"{figures.log_bytes:.0f} B",
            ]
        )
    return f"""## Per document: CPU, time and calls

Every function of `template.yaml` that has a scenario, invoked through its real handler
with events shaped as AWS sends them: {report.runs} warm runs of {report.units} units each after one cold
run, medians of the runs. CPU is the invoking thread's `time.thread_time()`: the sandboxes
respond on their own threads, so their work is not in it. With moto in this process, the
time inside botocore calls is moto's emulation plus botocore's own work. With moto in a
child process it is botocore's client work and the loopback HTTP only, as on Lambda minus
TLS. Wall time includes waiting for the sandboxes and, on a loaded machine, for a CPU.

{_table(header, rows)}
"""


def _webhook(report: Report) -> str:
    figures = report.in_process.get(WEBHOOK_FUNCTION)
    server = report.on_server.get(WEBHOOK_FUNCTION)
    if figures is None or server is None:
        report.summary.append(
            ["Webhook path", "not measured yet: no scenario", "", f"≤ {WEBHOOK_TARGET_MS} ms", "-"]
        )
        return ""
    met = figures.cpu_ms <= WEBHOOK_TARGET_MS
    explanation = (
        f"{figures.aws_cpu_ms:.2f} ms of it is inside the AWS calls (moto's emulation and botocore); "
        f"the hub's own work is {figures.hub_cpu_ms:.2f} ms"
    )
    report.summary.append(
        [
            "Webhook path, in process, per delivery",
            f"{figures.cpu_ms:.2f} ms CPU ({figures.wall_ms:.2f} ms wall)",
            f"`json.loads` of the body: {report.json_floor_ms:.3f} ms",
            f"≤ {WEBHOOK_TARGET_MS} ms",
            _result(met, explanation),
        ]
    )
    return f"""## Webhook path

A signed `order.created` delivery of a {WEBHOOK_ORDER_LINES}-line order through the webhook handler: verify
the signature, validate the event, check the delivery id, enqueue to moto and record the
delivery id.

| figure | per delivery |
| --- | --- |
| CPU, moto in process (the target's figure) | {figures.cpu_ms:.2f} ms |
| of which inside AWS calls (moto's emulation and botocore) | {figures.aws_cpu_ms:.2f} ms |
| the hub's own work (all but the AWS calls) | {figures.hub_cpu_ms:.2f} ms |
| CPU, moto in a child process (hub and botocore's client work) | {server.cpu_ms:.2f} ms |
| wall time, moto in process | {figures.wall_ms:.2f} ms |
| `json.loads` of the same body alone | {report.json_floor_ms:.3f} ms |
| AWS calls | {figures.dynamodb_reads:.0f} DynamoDB read, {figures.dynamodb_writes:.0f} write, {figures.sqs_sends:.0f} SQS send |

Target ≤ {WEBHOOK_TARGET_MS} ms: {_result(met, explanation)}. The three AWS calls a delivery needs (the
duplicate check, the send and the delivery record) cost botocore about
{report.client_costs.aws_call_cpu_ms:.2f} ms of CPU each even against a moto server in another process
(see Transfer path), which alone is {3 * report.client_costs.aws_call_cpu_ms:.2f} ms.
"""


def _transfer(report: Report) -> str:
    figures = report.in_process.get(TRANSFER_FUNCTION)
    server = report.on_server.get(TRANSFER_FUNCTION)
    if figures is None or server is None:
        report.summary.append(
            ["Transfer path", "not measured yet: no scenario", "", f"≤ {TRANSFER_TARGET_MS} ms", "-"]
        )
        return ""
    costs = report.client_costs
    aws_calls = server.dynamodb_reads + server.dynamodb_writes + server.sqs_sends
    floor_ms = aws_calls * costs.aws_call_cpu_ms + server.target_requests * costs.http_request_cpu_ms
    met = server.cpu_ms <= TRANSFER_TARGET_MS
    explanation = (
        f"the {aws_calls:.0f} AWS calls and {server.target_requests:.0f} e-conomic requests an order needs cost the "
        f"clients {floor_ms:.2f} ms alone"
    )
    report.summary.append(
        [
            f"Transfer path, {TRANSFER_ORDER_LINES}-line order, CPU per order per target",
            f"{server.cpu_ms:.2f} ms (moto in process: {figures.cpu_ms:.2f} ms)",
            f"client floor: {floor_ms:.2f} ms",
            f"≤ {TRANSFER_TARGET_MS} ms",
            _result(met, explanation),
        ]
    )
    return f"""## Transfer path

A confirmed {TRANSFER_ORDER_LINES}-line consumer order, new customer, products already in e-conomic, through
the order transfer handler in SQS batches of the template's size, to the e-conomic
sandbox. Per order and target ({figures.targets} target):

| figure | per order and target |
| --- | --- |
| CPU, moto in a child process (the target's figure: hub, botocore and requests, no emulation, no sandbox) | {server.cpu_ms:.2f} ms |
| CPU, moto in process | {figures.cpu_ms:.2f} ms |
| of which inside AWS calls (moto's emulation and botocore) | {figures.aws_cpu_ms:.2f} ms |
| the hub's own work with requests' client work (all but the AWS calls) | {figures.hub_cpu_ms:.2f} ms |
| wall time, moto in process | {figures.wall_ms:.2f} ms |
| requests to e-conomic | {figures.target_requests:.1f} |
| botocore's CPU for one DynamoDB GetItem against a moto server | {costs.aws_call_cpu_ms:.2f} ms |
| requests' CPU for one GET to the sandbox through the connectors' client | {costs.http_request_cpu_ms:.2f} ms |

Target ≤ {TRANSFER_TARGET_MS} ms: {_result(met, explanation)}. An order needs
{aws_calls:.0f} DynamoDB calls: read the ledger, take the lease, finish it, append the transfer log.
It needs {server.target_requests:.0f} requests to e-conomic: look up the draft and the booked invoice by
reference, look up the customer, create it, look up the products, create the draft. At the
client costs above that is {floor_ms:.2f} ms before the hub does anything, and the hub's own
work on top is {max(server.cpu_ms - floor_ms, 0):.2f} ms. The lookups by reference are what make a retried
transfer adopt the document a crashed attempt created, so they stay.

Two changes made this faster. The target looks up to 20 products up in one request, where
a {TRANSFER_ORDER_LINES}-line order made {TRANSFER_ORDER_LINES} GETs. The HTTP client reads the proxy and CA bundle settings once,
where `requests` by default reads them again for every request.
"""


def _calls(report: Report) -> str:
    rows = []
    for logical_id in report.functions:
        figures = report.in_process.get(logical_id)
        if figures is None:
            rows.append([logical_id, _no_scenario(report, logical_id, "no scenario")] + [""] * 6)
            continue
        unit = figures.scenario.unit + (" and target" if figures.scenario.per_target else "")
        cold = figures.cold
        rows.append(
            [
                logical_id,
                unit,
                f"{figures.dynamodb_reads:.2f}",
                f"{figures.dynamodb_writes:.2f}",
                f"{figures.sqs_sends:.2f}",
                f"{figures.secrets_reads:.2f}",
                f"{cold.secrets_reads} over {figures.cold_units} units",
                f"{cold.total} over {figures.cold_units} units",
            ]
        )
    transfer = report.in_process.get(TRANSFER_FUNCTION)
    if transfer is not None:
        report.summary.append(
            [
                "DynamoDB writes per order per target",
                f"{transfer.dynamodb_writes:.2f}",
                "",
                f"≤ {WRITES_TARGET}",
                _result(transfer.dynamodb_writes <= WRITES_TARGET, "see AWS calls"),
            ]
        )
    worst = max((figures.cold.secrets_reads for figures in report.in_process.values()), default=0)
    report.summary.append(
        [
            "Secrets Manager reads per cold start (any function)",
            f"{worst}",
            "",
            f"≤ {SECRETS_TARGET}",
            _result(worst <= SECRETS_TARGET, "see AWS calls"),
        ]
    )
    return f"""## AWS calls per document

Counted with botocore event hooks on every client, including the one Powertools'
Parameters utility creates in its own session. Warm figures are per unit over all warm
runs; the cold run starts from a new execution environment (every cache dropped) and
shows what one cold start costs. `tests/integration/test_call_counts.py` asserts these
counts in `make test`.

{_table(["function", "unit", "DynamoDB reads", "DynamoDB writes", "SQS sends", "Secrets Manager reads, warm", "Secrets Manager reads, cold run", "all AWS calls, cold run"], rows)}

The transfer writes 3 items per order and target: the lease (a conditional update), its
end with the result, and the transfer-log item. The webhook reads the delivery id and
writes it after the send. Secrets are cached for 5 minutes per execution environment, so
a warm function reads none.
"""


def _checkpoint_rows(figures: BurstFigures) -> list[list[str]]:
    rows = []
    previous_orders, previous_seconds, previous_cpu = 0, 0.0, 0.0
    for checkpoint in figures.checkpoints:
        orders = checkpoint.orders - previous_orders
        segment = orders / max(checkpoint.seconds - previous_seconds, 1e-9)
        cpu_per_order = (checkpoint.cpu_seconds - previous_cpu) / orders * 1000
        rows.append(
            [
                f"{checkpoint.orders:,}",
                f"{checkpoint.seconds:.0f} s",
                f"{checkpoint.orders / checkpoint.seconds:.1f}",
                f"{segment:.1f}",
                f"{cpu_per_order:.1f} ms",
                f"{checkpoint.rss_mb:.1f} MB",
                f"{checkpoint.peak_rss_mb:.1f} MB",
                f"{checkpoint.python_blocks:,}",
            ]
        )
        previous_orders, previous_seconds = checkpoint.orders, checkpoint.seconds
        previous_cpu = checkpoint.cpu_seconds
    return rows


def _burst(report: Report) -> str:
    figures = report.burst
    rows = _checkpoint_rows(figures)

    first, last = figures.checkpoints[0], figures.checkpoints[-1]
    growth_per_1000 = (last.rss_mb - first.rss_mb) / max(last.orders - first.orders, 1) * 1000
    blocks_per_order = (last.python_blocks - first.python_blocks) / max(last.orders - first.orders, 1)
    flat = growth_per_1000 <= FLAT_MEMORY_MB_PER_1000
    reached = figures.orders >= BURST_TARGET_ORDERS
    correct = figures.lost == 0 and figures.duplicates == 0

    report.summary.append(
        [
            "Burst: lost and duplicate orders",
            f"{figures.lost} lost, {figures.duplicates} duplicates of {figures.orders:,}",
            "",
            "0 and 0",
            _result(correct, "see Burst"),
        ]
    )
    report.summary.append(
        [
            "Burst: hub memory flat in the number of orders",
            f"{growth_per_1000:+.2f} MB RSS per 1,000 orders",
            f"{first.rss_mb:.0f} MB at {first.orders:,} orders",
            f"≤ {FLAT_MEMORY_MB_PER_1000} MB per 1,000",
            _result(flat, "see Burst"),
        ]
    )
    report.summary.append(
        [
            f"Burst: {BURST_TARGET_ORDERS:,} orders",
            f"{figures.orders:,} orders, {figures.orders / figures.seconds:.1f} orders/s",
            "",
            f"{BURST_TARGET_ORDERS:,} orders",
            _result(
                reached,
                f"the {figures.budget_seconds:.0f}-second budget of `make bench` ends first, see Burst",
            ),
        ]
    )

    planned = ", ".join(f"{count:,}" for count in figures.planned)
    if figures.orders < figures.planned[-1]:
        stopped = f"""
It stopped at {figures.orders:,} of the planned checkpoints ({planned} orders). At the rate measured,
the next checkpoint would not have ended within the burst's budget of {figures.budget_seconds:.0f} seconds
(`--burst-budget-seconds`, whose default keeps `make bench` under 10 minutes). The CPU per order in each segment shows whether the
hub's cost per order grows with the orders already stored; the rate also moves with other
load on the machine (see the load average at the top). Moto and the sandbox handle every
call in Python on this machine's {report.machine.cores} cores, beside the hub, so the rate here is far
below what the hub would reach against DynamoDB, SQS and e-conomic.
"""
    else:
        stopped = f"\nIt reached every planned checkpoint ({planned} orders).\n"
    return f"""## Burst

{figures.orders:,} orders, one webhook delivery each, {figures.order_lines} lines per order, through the local stack:
webhook function → orders queue → order transfer function → e-conomic sandbox. The
deliveries come in chunks of {figures.chunk}, and the queue is drained after each chunk. Moto and the
e-conomic sandbox run in a child process, so this process holds only the hub and the
harness: its memory is the hub's own. Lost and duplicate orders are counted from the
sandbox's invoices by `references.other`.

{_table(["orders", "elapsed", "orders/s overall", "orders/s in the segment", "hub process CPU per order in the segment", "RSS after gc", "peak RSS so far", "Python blocks"], rows)}

- Lost: {figures.lost}. Duplicates: {figures.duplicates}. Failed attempts: {figures.failed_attempts}. Dead-lettered: {figures.dead_lettered}.
- Peak RSS of the hub's process: {figures.peak_rss_mb:.1f} MB, of the harness and the functions together
  (each function is configured with {_memory_mb(report.template)} MB). The peak column shows whether it grows
  with the orders. A run with a checkpoint, and so a full garbage collection, every 100
  orders peaks close to the RSS after collection, so most of the difference is garbage in
  reference cycles waiting for Python's full collection.
- Memory growth from {first.orders:,} to {last.orders:,} orders: {growth_per_1000:+.2f} MB RSS per 1,000 orders and
  {blocks_per_order:+.1f} Python allocator blocks per order. Validating pydantic models with
  string constraints keeps small blocks for new string values inside pydantic-core, up to
  a bound: a separate test of 240,000 validations of a model with a stripped string and
  a pattern stopped growing at 16,383 blocks. So the block count grows with the first
  few thousand orders and then stays.
{stopped}"""


def _inventory(report: Report) -> str:
    figures = report.inventory
    if figures is None:
        report.summary.append(
            [
                "Inventory",
                "not measured: run without `--inventory-skus 0`",
                "",
                f"Bemakers writes = changed SKUs; comparison CPU ≤ {COMPARISON_TARGET_SECONDS} s",
                "-",
            ]
        )
        return "## Inventory\n\nNot measured: `--inventory-skus 0` turned the inventory benchmark off.\n"

    first, second = figures.first, figures.second
    catalogue = f"{figures.skus:,} SKUs, {figures.changed:,} changed"
    writes_met = second.levels_received == figures.changed
    comparison_met = figures.comparison_cpu_seconds <= COMPARISON_TARGET_SECONDS
    hub_cpu = second.cpu_seconds - second.aws_cpu_seconds
    report.summary.append(
        [
            f"Inventory, {catalogue}: Bemakers writes",
            f"{second.levels_received:,} stock levels in {second.stock_requests} requests",
            f"{figures.changed:,} changed SKUs",
            "= changed SKUs",
            _result(writes_met, "see Inventory"),
        ]
    )
    report.summary.append(
        [
            f"Inventory, {catalogue}: CPU of the comparison",
            f"{figures.comparison_cpu_seconds:.3f} s",
            "",
            f"≤ {COMPARISON_TARGET_SECONDS} s",
            _result(comparison_met, "see Inventory"),
        ]
    )
    report.summary.append(
        [
            f"Inventory, {catalogue}: run time",
            f"{second.seconds:.1f} s in {second.invocations} {_plural(second.invocations, 'invocation')}",
            f"hub without AWS calls: {hub_cpu:.1f} s CPU",
            "-",
            "-",
        ]
    )
    rows = [
        ["invocations until complete", f"{first.invocations}", f"{second.invocations}"],
        ["wall time", f"{first.seconds:.1f} s", f"{second.seconds:.1f} s"],
        ["CPU of the invoking thread", f"{first.cpu_seconds:.1f} s", f"{second.cpu_seconds:.1f} s"],
        [
            "of which inside AWS calls (moto's emulation and botocore)",
            f"{first.aws_cpu_seconds:.1f} s",
            f"{second.aws_cpu_seconds:.1f} s",
        ],
        [
            "the hub's own work with requests' client work (all but the AWS calls)",
            f"{first.cpu_seconds - first.aws_cpu_seconds:.1f} s",
            f"{hub_cpu:.1f} s",
        ],
        [
            "`PUT /v1/stock-levels` requests to Bemakers",
            f"{first.stock_requests:,}",
            f"{second.stock_requests:,}",
        ],
        [
            "stock levels Bemakers received (the writes)",
            f"{first.levels_received:,}",
            f"{second.levels_received:,}",
        ],
        ["DynamoDB reads", f"{first.dynamodb_reads:,}", f"{second.dynamodb_reads:,}"],
        ["DynamoDB writes", f"{first.dynamodb_writes:,}", f"{second.dynamodb_writes:,}"],
        ["all AWS calls", f"{first.aws_calls:,}", f"{second.aws_calls:,}"],
    ]
    writes = (
        f"Bemakers received {second.levels_received:,} stock levels for {figures.changed:,} changed SKUs: "
        + _result(writes_met, "the count should equal the changed SKUs")
        + "."
    )
    comparison = (
        f"The comparison took {figures.comparison_cpu_seconds:.3f} s of CPU for {figures.skus:,} readings "
        f"(target ≤ {COMPARISON_TARGET_SECONDS} s): "
        + _result(comparison_met, "the comparison is the hub's own work")
        + "."
    )
    return f"""## Inventory

{figures.skus:,} Ongoing articles, one SKU each, all in warehouse `{WAREHOUSE}`, which the demo connection
maps to the Bemakers location `{LOCATION}`. The inventory import function runs through its
real handler, invoked as EventBridge Scheduler would, until it reports a complete run.
The first import pushes every level. Then {figures.changed:,} articles' stock changes, spread over
every page, and the second import is the measured one. The stock levels are counted from
the requests the Bemakers sandbox recorded. Moto runs in this process, because a moto
server in a child process made the benchmark about twice as slow (see docs/decisions.md).

{_table(["figure", "first import (all levels)", "second import (measured)"], rows)}

{writes} The import sends the changed levels of each page of
{ARTICLES_PAGE_SIZE} articles in requests of up to 100 levels, so a page without changes costs no request.
The DynamoDB writes are the batch writes that record the pushed levels, up to 25 items
each, and the checkpoint saved after every page.

A run still reads every article's stock from Ongoing, a page at a time, and the last
pushed level of every SKU from DynamoDB, one BatchGetItem per 100 SKUs. So its reads and
run time grow with the catalogue, not with the changes. Of the measured import's
{second.cpu_seconds:.1f} s of CPU, {second.aws_cpu_seconds:.1f} s are inside AWS calls, mostly moto's emulation of those
reads.

{comparison} The comparison is the push core's in-memory part,
`collect_levels` and `changed_levels` in `shared/hub/inventory/push.py`: it sums the
readings into levels per SKU and location and keeps those that differ from the last
pushed levels. It was timed with `time.process_time` over all {figures.skus:,} readings at once,
read from the Ongoing sandbox after the change, against a {figures.last_pushed_levels:,}-entry map of the
levels Bemakers held before it. The median of {figures.comparison_runs} runs is shown, and each run found
{figures.comparison_changed:,} changed levels. The import runs the same functions page by page.

The inventory benchmark took {figures.total_seconds:.0f} s, including the seeding and the first import.
"""


def _products(report: Report) -> str:
    figures = report.products
    if figures is None:
        report.summary.append(
            ["Products", "not measured: run without `--product-variants 0`", "", "0 writes unchanged", "-"]
        )
        return "## Products\n\nNot measured: `--product-variants 0` turned the product benchmark off.\n"
    report.summary.append(products.summary_row(figures))
    return products.section(figures)


def _package(report: Report) -> str:
    figures = report.package
    if figures is None:
        report.summary.append(
            ["Package", "not measured: run `sam build` first", "", "no boto3 in the layer", "-"]
        )
        return (
            "## Package\n\nNot measured: `.aws-sam/build` is missing. `make bench` runs `sam build` first.\n"
        )
    rows = [
        [
            artifact.logical_id,
            artifact.kind,
            _size(artifact.unzipped_bytes),
            _size(artifact.zipped_bytes),
            f"{artifact.files:,}",
        ]
        for artifact in figures.artifacts
    ]
    clean = not figures.runtime_packages_in_layers
    layer_total = sum(artifact.unzipped_bytes for artifact in figures.artifacts if artifact.kind == "layer")
    report.summary.append(
        [
            "Package: layer size, boto3 and botocore left to the runtime",
            f"layer {layer_total / 2**20:.1f} MB unzipped",
            "Lambda's limit: 250 MB unzipped",
            "no boto3, botocore or s3transfer in the layer",
            _result(clean, ", ".join(figures.runtime_packages_in_layers)),
        ]
    )
    largest = ", ".join(f"`{name}` {size / 2**20:.1f} MB" for name, size in figures.largest_layer_packages)
    found = "none" if clean else ", ".join(figures.runtime_packages_in_layers)
    return f"""## Package

From `sam build`'s output in `.aws-sam/build`; zipped sizes are computed here with the
standard deflate level.

{_table(["artifact", "kind", "unzipped", "zipped", "files"], rows)}

boto3, botocore or s3transfer in a layer: {found}. The layer's largest entries: {largest}.
"""


def _cost(report: Report) -> str:
    webhook = report.on_server.get(WEBHOOK_FUNCTION)
    transfer = report.on_server.get(TRANSFER_FUNCTION)
    if webhook is None or transfer is None:
        return "## Cost estimate\n\nNot computed: the webhook or transfer scenario is missing.\n"
    memory = _memory_mb(report.template)
    lines = cost.estimate(
        webhook,
        transfer,
        webhook_cpu_ms=webhook.cpu_ms,
        transfer_cpu_ms=transfer.cpu_ms,
        memory_mb=memory,
        message_bytes=order_message_bytes(),
    )
    rows = [
        [line.item, f"{line.quantity:,.2f} {line.unit}", f"${line.usd:.4f}", f"`{line.price}`"]
        for line in lines
    ]
    total = sum(line.usd for line in lines)
    rows.append(["**total**", "", f"**${total:.2f}**", ""])
    prices = [
        [f"`{name}`", f"${price.usd:.10g} per {price.unit}", price.region, price.stated, price.source]
        for name, price in cost.PRICES.items()
    ]
    report.summary.append(
        [f"Cost per {cost.ORDERS:,} orders (estimate)", f"${total:.2f}", "us-east-1 prices", "-", "-"]
    )
    return f"""## Cost estimate

An estimate of what {cost.ORDERS:,} orders cost in AWS, each arriving as one webhook delivery and
transferred to every target, from the counts and CPU measured above, the template's
{memory} MB arm64 functions, and published prices. Free tiers are left out.

{_table(["item", "quantity", "cost", "price"], rows)}

Prices: AWS renders its per-region price tables in the browser, and the stored copies of
its pricing pages that the search returned carry no eu-west-1 (Europe, Ireland) figures.
No eu-west-1 price was found, so these are the US East (N. Virginia) prices the sources
state; check them against aws.amazon.com/pricing for eu-west-1 before relying on this.
Sources read on {cost.SOURCES_READ}:

{_table(["price", "value", "region", "as of", "source"], prices)}

Assumptions, not measurements:

- Lambda duration per invocation is the CPU measured here with moto in a child process,
  divided by the vCPU share of {memory} MB. Lambda gives one vCPU at {cost.VCPU_MEMORY_MB} MB ([AWS]({cost.VCPU_SOURCE})).
  To that come {cost.AWS_CALL_WAIT_MS:.0f} ms of waiting per AWS call and {cost.TARGET_REQUEST_WAIT_MS:.0f} ms per e-conomic request. The
  waits dominate: each 100 ms more per order adds ${cost.wait_cost_per_100_ms(memory):.4f}.
- Each DynamoDB item is under 1 KB (one write unit) and each read is strongly consistent
  and under 4 KB (one read unit); a {TRANSFER_ORDER_LINES}-line order's queue message is
  {order_message_bytes():,} bytes, so one SQS request per send.
- The event source mapping's receives are counted as one per batch; its empty polls of
  an idle queue cost the same every month whatever the order count, and are left out.
- Secrets Manager: one read per cold start and secret (measured), a few per
  {cost.ORDERS:,} orders, under $0.0001; storage is $0.40 per secret and month (same source),
  two secrets per connection.
- CloudWatch Logs: the hub's own log lines and EMF metrics at the template's default log
  level, measured; Lambda's START, END and REPORT lines per invocation are not counted.
"""


def _summary(report: Report) -> str:
    return f"""## Figures against targets

{_table(["figure", "measured", "floor or reference", "target", "result"], report.summary)}
"""


def _how(report: Report) -> str:
    measured = ", ".join(f"`{name}`" for name in SCENARIOS)
    return f"""## How the suite works

`make bench` runs `python -m hubctl bench` (in `hubctl/bench/`). It reads the functions
from `template.yaml`, so a new function gets a cold-start row without code. The figures per
document, the AWS call counts and their regression tests come from a `Scenario` per
function in `hubctl/bench/scenarios.py`: it prepares the state and the events and checks
each response. Scenarios exist for {measured}; a function without one is listed as
not measured yet. A new flow adds its figures with one scenario. `python -m hubctl bench --help` lists the
options (rounds, runs, units, burst checkpoints and budget, inventory SKUs, product variants).
"""


def write_report(report: Report, output: Path) -> None:
    sections = [
        _cold_start(report),
        _per_document(report),
        _webhook(report),
        _transfer(report),
        _calls(report),
        _burst(report),
        _inventory(report),
        _products(report),
        _package(report),
        _cost(report),
    ]
    text = "\n".join([_header(report), _summary(report), *sections, _how(report)])
    output.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
