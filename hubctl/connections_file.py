"""Reading and applying the connections YAML file (`hubctl connections apply FILE`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from hub.connections import ConnectionsFile, ConnectionStore

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConnectionsFileError(Exception):
    """The connections file cannot be applied. The message names the file, field and fix."""


def load_connections_file(
    path: Path, *, variables: Mapping[str, str] | None = None, secrets_prefix: str = "bemakers-hub/"
) -> ConnectionsFile:
    """Read, expand `${VAR}` from `variables` (default: the environment) and validate the file."""
    variables = os.environ if variables is None else variables
    text = path.read_text(encoding="utf-8")
    missing = sorted({name for name in _VARIABLE.findall(text) if name not in variables})
    if missing:
        raise ConnectionsFileError(f"{path}: set the environment variables {', '.join(missing)}")
    expanded = _VARIABLE.sub(lambda match: variables[match.group(1)], text)
    try:
        document = yaml.safe_load(expanded)
    except yaml.YAMLError as error:
        raise ConnectionsFileError(f"{path}: not valid YAML: {error}") from None
    try:
        parsed = ConnectionsFile.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}" for detail in error.errors()
        )
        raise ConnectionsFileError(
            f"{path}: invalid connections file: {problems}. Secrets are referenced by their Secrets Manager"
            " name (`secret_name`), never written into this file."
        ) from None
    for connection in parsed.connections:
        for name in connection.secret_names():
            if not name.startswith(secrets_prefix):
                raise ConnectionsFileError(
                    f"{path}: connection {connection.connection_id}: secret {name!r} must start with"
                    f" {secrets_prefix!r}, the prefix the functions may read"
                )
    identifiers = [connection.connection_id for connection in parsed.connections]
    duplicates = sorted({identifier for identifier in identifiers if identifiers.count(identifier) > 1})
    if duplicates:
        raise ConnectionsFileError(f"{path}: connection ids appear twice: {', '.join(duplicates)}")
    return parsed


def apply_connections(parsed: ConnectionsFile, store: ConnectionStore) -> list[str]:
    """Write every connection of the file to the connections table. Returns their ids."""
    for connection in parsed.connections:
        store.put(connection)
    return [connection.connection_id for connection in parsed.connections]
