"""Import time of each handler in a fresh interpreter, against `import boto3` in the same run.

Each function of template.yaml is imported from functions/<flow>/ with shared/ on
sys.path, as Lambda puts the layer's python/ folder there. The floor is `import boto3`,
which the Lambda runtime provides and every handler imports. The runs are interleaved
(floor, handler 1, handler 2, ..., floor, ...), so that load on a shared machine hits them
alike, and the ratio of each round is taken before the median.

Every child process reads and writes bytecode in one cache folder of its own
(PYTHONPYCACHEPREFIX), filled by an unmeasured first round, so that no run pays for
compiling and all runs use the same cache. A few more runs with `-X importtime` give the
breakdown by package.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from hubctl.local_stack import FunctionSpec

REPOSITORY = Path(__file__).resolve().parents[2]
LAYER_SOURCE = REPOSITORY / "shared"
FLOOR = "boto3"

# The imports no handler of this hub can do without: pydantic models and the Powertools
# Logger and Metrics. Their import after boto3's is the least any handler adds to the floor.
ESSENTIALS = (
    "import boto3, pydantic; from pydantic import BaseModel;"
    " from aws_lambda_powertools import Logger, Metrics"
)

_TIMER = """
import importlib, sys, time
sys.path[:0] = {paths!r}
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""

# Top-level packages by the group their import time is reported under.
PACKAGE_GROUPS = {
    "boto3 and its dependencies": (
        "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3",
    ),
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection"),
    "Powertools": ("aws_lambda_powertools",),
    "requests": ("requests", "idna", "charset_normalizer", "certifi", "chardet"),
    "hub (the layer's own code)": ("hub",),
    "handler module": ("app",),
}  # fmt: skip
OTHER_GROUP = "standard library and others"
_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)")


@dataclass(frozen=True)
class HandlerImport:
    function: str
    module_path: str
    """The handler's file, relative to the repository."""
    median_ms: float
    ratio: float
    """Median over the rounds of handler import time divided by the floor's in the same round."""
    breakdown_ms: dict[str, float]
    """Self time by package group, median over the -X importtime runs."""


@dataclass(frozen=True)
class ColdStartFigures:
    rounds: int
    floor_ms: float
    floor_breakdown_ms: dict[str, float]
    essentials_ms: float
    essentials_ratio: float
    handlers: list[HandlerImport]


def _handler_target(spec: FunctionSpec) -> tuple[Path, str]:
    module, _, _ = spec.handler.rpartition(".")
    return REPOSITORY / spec.code_uri, module


def _environment(cache: Path, template_variables: dict[str, str]) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    environment |= template_variables
    environment["PYTHONPYCACHEPREFIX"] = str(cache)
    environment.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return environment


def _run(statement: str, paths: list[str], environment: dict[str, str], *, importtime: bool = False) -> str:
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c"]
    command.append(_TIMER.format(paths=paths, statement=statement))
    completed = subprocess.run(  # noqa: S603 - runs this interpreter on code written above
        command, capture_output=True, text=True, env=environment, cwd=paths[-1], check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing failed: {statement}\n{completed.stderr[-2000:]}")
    return completed.stderr if importtime else completed.stdout


def _breakdown(importtime_output: str) -> dict[str, float]:
    """Sum -X importtime self times (microseconds) into PACKAGE_GROUPS, in milliseconds."""
    groups: dict[str, float] = defaultdict(float)
    owner = {package: group for group, packages in PACKAGE_GROUPS.items() for package in packages}
    for line in importtime_output.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match is None:
            continue
        top = match.group(3).split(".")[0]
        groups[owner.get(top, OTHER_GROUP)] += int(match.group(1)) / 1000
    return dict(groups)


def _median_breakdown(samples: list[dict[str, float]]) -> dict[str, float]:
    names = {name for sample in samples for name in sample}
    return {name: statistics.median(sample.get(name, 0.0) for sample in samples) for name in names}


def measure(
    functions: dict[str, FunctionSpec],
    *,
    rounds: int,
    importtime_runs: int,
    template_variables: dict[str, str],
) -> ColdStartFigures:
    """Import the floor, the essentials and every handler `rounds` times, interleaved."""
    with tempfile.TemporaryDirectory(prefix="hub-bench-pycache-") as cache:
        environment = _environment(Path(cache), template_variables)
        targets = {logical_id: _handler_target(spec) for logical_id, spec in functions.items()}

        def handler_run(logical_id: str, *, importtime: bool = False) -> str:
            folder, module = targets[logical_id]
            statement = f"importlib.import_module({module!r})"
            return _run(statement, [str(LAYER_SOURCE), str(folder)], environment, importtime=importtime)

        def floor_run(statement: str = f"import {FLOOR}", *, importtime: bool = False) -> str:
            return _run(statement, [str(LAYER_SOURCE), str(REPOSITORY)], environment, importtime=importtime)

        # Fill the bytecode cache; these runs are not measured.
        floor_run(ESSENTIALS)
        for logical_id in targets:
            handler_run(logical_id)

        floors: list[float] = []
        essentials: list[float] = []
        times: dict[str, list[float]] = {logical_id: [] for logical_id in targets}
        ratios: dict[str, list[float]] = {logical_id: [] for logical_id in targets}
        for _ in range(rounds):
            floor = float(floor_run())
            floors.append(floor)
            essentials.append(float(floor_run(ESSENTIALS)) / floor)
            for logical_id in targets:
                seconds = float(handler_run(logical_id))
                times[logical_id].append(seconds)
                ratios[logical_id].append(seconds / floor)

        floor_breakdowns = [_breakdown(floor_run(importtime=True)) for _ in range(importtime_runs)]
        handlers = []
        for logical_id, (folder, module) in targets.items():
            samples = [_breakdown(handler_run(logical_id, importtime=True)) for _ in range(importtime_runs)]
            handlers.append(
                HandlerImport(
                    function=logical_id,
                    module_path=str((folder / f"{module.replace('.', '/')}.py").relative_to(REPOSITORY)),
                    median_ms=statistics.median(times[logical_id]) * 1000,
                    ratio=statistics.median(ratios[logical_id]),
                    breakdown_ms=_median_breakdown(samples),
                )
            )

    floor_ms = statistics.median(floors) * 1000
    essentials_ratio = statistics.median(essentials)
    return ColdStartFigures(
        rounds=rounds,
        floor_ms=floor_ms,
        floor_breakdown_ms=_median_breakdown(floor_breakdowns),
        essentials_ms=essentials_ratio * floor_ms,
        essentials_ratio=essentials_ratio,
        handlers=handlers,
    )
