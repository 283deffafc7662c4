"""Deployment sizes of the layer and each function, from `sam build`'s output in .aws-sam/build.

Lambda limits the unzipped size of a function and its layers to 250 MB. The zipped size is
what is uploaded; it is computed here in memory with the standard deflate level.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubctl.local_stack import describe_functions

# The Lambda runtime provides these; a copy in the layer would shadow the runtime's.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


@dataclass(frozen=True)
class Artifact:
    logical_id: str
    kind: str
    """"layer" or "function"."""
    unzipped_bytes: int
    zipped_bytes: int
    files: int


@dataclass(frozen=True)
class PackageFigures:
    build_dir: Path
    artifacts: list[Artifact]
    runtime_packages_in_layers: list[str]
    """Runtime-provided packages found in a layer's python/ folder; empty when none is."""
    largest_layer_packages: list[tuple[str, int]]
    """The layer's biggest top-level entries, unzipped bytes."""


def _measure(logical_id: str, kind: str, folder: Path) -> Artifact:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return Artifact(
        logical_id=logical_id,
        kind=kind,
        unzipped_bytes=sum(path.stat().st_size for path in files),
        zipped_bytes=len(buffer.getvalue()),
        files=len(files),
    )


def _folder_size(folder: Path) -> int:
    if folder.is_file():
        return folder.stat().st_size
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(template: dict[str, Any], build_dir: Path) -> PackageFigures | None:
    """Measure every layer and function of the template in `build_dir`; None when it was not built."""
    if not build_dir.is_dir():
        return None
    layers = [
        logical_id
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == "AWS::Serverless::LayerVersion"
    ]
    artifacts = [_measure(logical_id, "layer", build_dir / logical_id) for logical_id in layers]
    artifacts += [
        _measure(logical_id, "function", build_dir / logical_id)
        for logical_id in describe_functions(template)
    ]

    runtime_packages: list[str] = []
    largest: list[tuple[str, int]] = []
    for logical_id in layers:
        python = build_dir / logical_id / "python"
        if not python.is_dir():
            continue
        runtime_packages += [
            f"{logical_id}/python/{entry.name}"
            for entry in python.iterdir()
            if entry.name.split("-")[0] in RUNTIME_PROVIDED
        ]
        sizes = [
            (entry.name, _folder_size(entry))
            for entry in python.iterdir()
            if not entry.name.endswith(".dist-info")
        ]
        largest += sorted(sizes, key=lambda item: item[1], reverse=True)[:6]
    return PackageFigures(build_dir, artifacts, runtime_packages, largest)
