"""hubctl log and status with --endpoint-url: the same ledger items read through a moto server on loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from hub.ledger import Ledger, TransferState
from hubctl.__main__ import main
from hubctl.local_stack import create_local_resources, load_template


@pytest.fixture
def ledger_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A moto server with the template's tables, and the ledger table's name; yields (endpoint, table)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name in ("AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # The commands set AWS_ENDPOINT_URL themselves; setting it here first makes monkeypatch restore it.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    from hub.runtime import reset_runtime

    reset_runtime()
    try:
        # The server keeps moto's in-process state, so each test names its tables afresh.
        resources = create_local_resources(load_template(), prefix=f"served-{uuid.uuid4().hex[:8]}")
        yield endpoint, resources.table_names["LedgerTable"]
    finally:
        reset_runtime()
        server.stop()


def _write_failed_transfer(table: str) -> None:
    ledger = Ledger(table, log_ttl_days=1)
    lease = ledger.claim("north-brewery", "order", "ord_7", "economic", version=1, lease_seconds=30)
    ledger.finish(lease, state=TransferState.FAILED, applied=True)


def test_log_reads_through_endpoint(
    ledger_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, table = ledger_table
    _write_failed_transfer(table)
    capsys.readouterr()
    status = main(
        ["log", "north-brewery", "--failed", "--table", table, "--endpoint-url", endpoint, "--json"]
    )
    steps = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [(step["document_id"], step["state"]) for step in steps] == [("ord_7", "failed")]


def test_status_reads_through_endpoint(
    ledger_table: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, table = ledger_table
    _write_failed_transfer(table)
    capsys.readouterr()
    argv = ["status", "ord_7", "--connection", "north-brewery", "--table", table, "--region", "eu-west-1"]
    status = main([*argv, "--endpoint-url", endpoint, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [step["state"] for step in report[0]["journey"]] == ["in_progress", "failed"]
