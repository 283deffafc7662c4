"""hubctl commands from the command line: connections apply, replay and the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from hubctl.__main__ import main
from hubctl.local_stack import create_local_resources, load_template
from tests.samples import DELIVERIES, REPOSITORY


@pytest.fixture
def connections_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        from hub.runtime import reset_runtime

        reset_runtime()
        resources = create_local_resources(load_template())
        yield resources.table_names["ConnectionsTable"]
        reset_runtime()


def test_connections_apply_writes_each_connection(
    connections_table: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEMAKERS_BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("ECONOMIC_BASE_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("ONGOING_BASE_URL", "http://127.0.0.1:3")
    monkeypatch.setenv("ZETTLE_BASE_URL", "http://127.0.0.1:4")
    status = main(
        [
            "connections",
            "apply",
            str(REPOSITORY / "hubctl/demo_data/connections.yaml"),
            "--table",
            connections_table,
        ]
    )
    item = (
        boto3.resource("dynamodb", region_name="eu-west-1")
        .Table(connections_table)
        .get_item(Key={"connection_id": "demo-brewery"})["Item"]
    )
    assert (status, json.loads(item["config"])["economic"]["base_url"]) == (0, "http://127.0.0.1:2")


def test_connections_apply_warns_of_missing_secrets(
    connections_table: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BEMAKERS_BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("ECONOMIC_BASE_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("ONGOING_BASE_URL", "http://127.0.0.1:3")
    monkeypatch.setenv("ZETTLE_BASE_URL", "http://127.0.0.1:4")
    main(
        [
            "connections",
            "apply",
            str(REPOSITORY / "hubctl/demo_data/connections.yaml"),
            "--table",
            connections_table,
        ]
    )
    assert "bemakers-hub/demo-brewery/economic" in capsys.readouterr().err


def test_connections_apply_rejects_invalid_file_and_writes_nothing(
    connections_table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("connections:\n  - connection_id: x\n", encoding="utf-8")
    status = main(["connections", "apply", str(path), "--table", connections_table])
    items = boto3.resource("dynamodb", region_name="eu-west-1").Table(connections_table).scan()["Items"]
    assert (status, items) == (1, [])


def test_replay_reports_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = [str(path) for path in sorted(DELIVERIES.glob("*.json"))]
    status = main(["replay", *files, "--json", "--dump-sandbox", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    states = {document["order_number"]: document["state"] for document in report["documents"]}
    assert (status, states) == (
        0,
        {
            "1001": "transferred",
            "1002": "transferred",
            "1003": "transferred",
            "1004": "transferred",
            "1006": "cancelled",
            "CN-2001": "transferred",
        },
    )


def test_replay_dumps_sandbox_requests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    main(
        [
            "replay",
            str(DELIVERIES / "01-order-created-consumer-dk.json"),
            "--json",
            "--dump-sandbox",
            str(tmp_path),
        ]
    )
    assert any(path.name.endswith(".json") for path in (tmp_path / "economic").iterdir())


def test_demo_exits_zero_and_prints_invoice_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["demo"])
    output = capsys.readouterr().out
    assert (status, "Demo finished" in output, "1004   confirmed  transferred" in output) == (0, True, True)
