"""hubctl status, log, replay-order and redrive against the local stack's tables and queues."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from hub.ledger import TransferState
from hub.runtime import get_runtime
from hubctl.__main__ import main
from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from hubctl.local import REGION
from hubctl.operations import LOCAL_DEAD_LETTERED_ORDER, LOCAL_REJECTED_ORDER, parse_time
from tests.integration.helpers import delivery_for, invoices_for, ledger_state, sample_delivery
from tests.samples import CONSUMER_DK, WAITING, delivery_document


@pytest.fixture
def environment(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo stack with its connection reduced to e-conomic, booking at transfer."""
    environment.use_economic_only()
    return environment


def _names(environment: DemoEnvironment) -> dict[str, str]:
    resources = environment.hub.resources
    assert resources is not None
    return {
        "ledger": resources.table_names["LedgerTable"],
        "connections": resources.table_names["ConnectionsTable"],
        "queue": resources.queue_urls["OrdersQueue"],
        "dlq": resources.queue_urls["OrdersDeadLetterQueue"],
    }


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _reject(environment: DemoEnvironment, order_id: str) -> None:
    environment.configure_economic(layout=999)
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"].update(id=order_id, updated_at="2026-12-04T00:00:00Z")
    environment.bemakers.put_order(body["data"])
    environment.deliver(delivery_for(body, f"dlv_{order_id}"))
    environment.hub.drain_queue()


def _dead_letter(environment: DemoEnvironment) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_503", times=5)
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()


# -- status --------------------------------------------------------------------------------------


def test_status_shows_state_per_target(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    names = _names(environment)
    report = _run_json(
        capsys, "status", "ord_1001", "--connection", DEMO_CONNECTION, "--table", names["ledger"]
    )
    assert [(target["target"], target["state"]) for target in report[0]["targets"]] == [
        ("economic", "transferred")
    ]


def test_status_shows_journey(environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    names = _names(environment)
    report = _run_json(
        capsys, "status", "ord_1004", "--connection", DEMO_CONNECTION, "--table", names["ledger"]
    )
    assert [step["state"] for step in report[0]["journey"]] == ["waiting"]


def test_status_finds_connection_itself(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    names = _names(environment)
    report = _run_json(
        capsys, "status", "ord_1001", "--table", names["ledger"], "--connections-table", names["connections"]
    )
    assert [entry["connection_id"] for entry in report] == [DEMO_CONNECTION]


def test_status_of_unknown_order_fails(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    names = _names(environment)
    status = main(["status", "ord_nothing", "--connection", DEMO_CONNECTION, "--table", names["ledger"]])
    assert status == 1
    assert "no transfer of order ord_nothing" in capsys.readouterr().err


def test_status_without_table_names_the_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    status = main(["status", "ord_1001", "--connection", DEMO_CONNECTION])
    assert status == 1
    assert "--table" in capsys.readouterr().err


def test_status_prints_table(environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    _reject(environment, "ord_bad")
    names = _names(environment)
    main(["status", "ord_bad", "--connection", DEMO_CONNECTION, "--table", names["ledger"]])
    output = capsys.readouterr().out
    assert "layout 999 does not exist. (HTTP 400, E06000, layout)" in output


# -- log -----------------------------------------------------------------------------------------


def test_log_lists_connection_steps(environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    names = _names(environment)
    steps = _run_json(capsys, "log", DEMO_CONNECTION, "--since", "1h", "--table", names["ledger"])
    assert [(step["document_id"], step["state"]) for step in steps] == [
        ("ord_1001", "in_progress"),
        ("ord_1001", "transferred"),
        ("ord_1004", "waiting"),
    ]


def test_log_failed_lists_only_failures(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    _reject(environment, "ord_bad")
    names = _names(environment)
    steps = _run_json(capsys, "log", DEMO_CONNECTION, "--failed", "--table", names["ledger"])
    assert [(step["document_id"], step["state"], step["error"]["code"]) for step in steps] == [
        ("ord_bad", "failed", "E06000")
    ]


def test_log_failed_includes_retries(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_500")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    names = _names(environment)
    steps = _run_json(capsys, "log", DEMO_CONNECTION, "--failed", "--table", names["ledger"])
    assert [step["state"] for step in steps] == ["retrying"]


def test_log_filters_by_target(environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    names = _names(environment)
    steps = _run_json(capsys, "log", DEMO_CONNECTION, "--target", "ongoing", "--table", names["ledger"])
    assert steps == []


def test_log_rejects_unreadable_since(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["log", DEMO_CONNECTION, "--since", "yesterday", "--table", "unused"])
    assert status == 1
    assert "neither a duration" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800)])
def test_parse_time_reads_durations(text: str, seconds: int) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert (now - parse_time(text, now)).total_seconds() == seconds


def test_parse_time_reads_iso_time_as_utc() -> None:
    from datetime import UTC, datetime

    assert parse_time("2026-12-04T10:00:00", datetime.now(UTC)) == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


# -- replay-order --------------------------------------------------------------------------------


def _replay(environment: DemoEnvironment, order_id: str, *extra: str) -> int:
    names = _names(environment)
    return main(
        [
            "replay-order", DEMO_CONNECTION, order_id,
            "--connections-table", names["connections"], "--queue-url", names["queue"], *extra,
        ]
    )  # fmt: skip


def test_replay_of_transferred_order_keeps_one_invoice(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert _replay(environment, "ord_1001") == 0
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_replay_runs_transfer_again(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    _replay(environment, "ord_1001")
    environment.hub.drain_queue()
    states = [entry.state for entry in environment.ledger.journey(DEMO_CONNECTION, "order", "ord_1001")]
    assert states.count(TransferState.TRANSFERRED) == 2


def test_replay_after_fix_transfers_failed_order(environment: DemoEnvironment) -> None:
    _reject(environment, "ord_bad")
    environment.configure_economic(layout=19)
    _replay(environment, "ord_bad")
    environment.hub.drain_queue()
    assert (ledger_state("ord_bad").state, len(invoices_for(environment, "ord_bad"))) == (
        TransferState.TRANSFERRED,
        1,
    )


def test_replay_twice_keeps_one_invoice(environment: DemoEnvironment) -> None:
    _reject(environment, "ord_bad")
    environment.configure_economic(layout=19)
    _replay(environment, "ord_bad")
    _replay(environment, "ord_bad")
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_bad")) == 1


def test_replay_reads_order_from_bemakers(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    _replay(environment, "ord_1001")
    assert [request.path for request in environment.bemakers.requests] == ["/v1/orders/ord_1001"]


def test_replay_for_one_target_sets_targets(environment: DemoEnvironment) -> None:
    environment.seed_bemakers_orders()
    _replay(environment, "ord_1001", "--target", "economic")
    sqs = boto3.client("sqs", region_name=REGION)
    message = sqs.receive_message(QueueUrl=_names(environment)["queue"])["Messages"][0]
    body = json.loads(message["Body"])
    assert (body["targets"], body["force"], body["source"]) == (["economic"], True, "replay")


def test_replay_for_unknown_target_fails(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.seed_bemakers_orders()
    status = _replay(environment, "ord_1001", "--target", "ongoing")
    assert status == 1
    assert "has no target ongoing" in capsys.readouterr().err


def test_replay_of_order_unknown_to_bemakers_fails(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    status = _replay(environment, "ord_missing")
    assert status == 1
    assert "HTTP 404" in capsys.readouterr().err


def test_replay_for_other_target_leaves_economic_alone(environment: DemoEnvironment) -> None:
    from hub.models.messages import DocumentChanged
    from hub.queue import enqueue

    environment.seed_bemakers_orders()
    body = delivery_document(CONSUMER_DK)["body"]["data"]
    message = DocumentChanged(
        connection_id=DEMO_CONNECTION, kind="order", document_id="ord_1001", version=1, source="replay",
        force=True, targets=["ongoing"], snapshot=json.loads(json.dumps(body, default=str)),
    )  # fmt: skip
    enqueue(get_runtime().settings.orders_queue_url, [message])
    environment.hub.drain_queue()
    assert invoices_for(environment, "ord_1001") == []


# -- redrive -------------------------------------------------------------------------------------


def test_redrive_moves_dead_letters_back(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    _dead_letter(environment)
    report = _run_json(capsys, "redrive", _names(environment)["dlq"])
    assert (report["method"], report["moved"]) == ("receive_and_send", 1)


def test_redrive_empties_dead_letter_queue(environment: DemoEnvironment) -> None:
    _dead_letter(environment)
    main(["redrive", _names(environment)["dlq"]])
    assert environment.hub.queue_depth("OrdersDeadLetterQueue") == 0


def test_redrive_keeps_message_attributes(environment: DemoEnvironment) -> None:
    _dead_letter(environment)
    main(["redrive", _names(environment)["dlq"]])
    sqs = boto3.client("sqs", region_name=REGION)
    message = sqs.receive_message(QueueUrl=_names(environment)["queue"], MessageAttributeNames=["All"])[
        "Messages"
    ][0]
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes == {"connection_id": DEMO_CONNECTION, "kind": "order", "source": "webhook"}


def test_redrive_then_drain_transfers_order(environment: DemoEnvironment) -> None:
    _dead_letter(environment)
    main(["redrive", _names(environment)["dlq"]])
    environment.hub.drain_queue()
    assert len(invoices_for(environment, "ord_1001")) == 1


def test_redrive_twice_moves_nothing_more(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    _dead_letter(environment)
    main(["redrive", _names(environment)["dlq"]])
    report = _run_json(capsys, "redrive", _names(environment)["dlq"])
    assert report["moved"] == 0


def test_redrive_accepts_queue_name(environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]) -> None:
    _dead_letter(environment)
    report = _run_json(capsys, "redrive", _names(environment)["dlq"].rsplit("/", 1)[-1])
    assert report["moved"] == 1


def test_redrive_of_queue_without_source_fails(
    environment: DemoEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = environment.hub.resources
    assert resources is not None
    status = main(["redrive", resources.queue_urls["OrderPollDeadLetterQueue"]])
    assert status == 1
    assert "nowhere to move" in capsys.readouterr().err


# -- --local ---------------------------------------------------------------------------------------


def test_local_log_shows_rejected_and_dead_lettered_orders(capsys: pytest.CaptureFixture[str]) -> None:
    steps = _run_json(capsys, "log", "demo-brewery", "--failed", "--local")
    assert {step["document_id"] for step in steps} == {LOCAL_REJECTED_ORDER, LOCAL_DEAD_LETTERED_ORDER}


def test_local_redrive_transfers_dead_lettered_order(capsys: pytest.CaptureFixture[str]) -> None:
    report = _run_json(capsys, "redrive", "OrdersDeadLetterQueue", "--local")
    assert (report["moved"], report["transferred_after_redrive"]) == (1, 1)


def test_local_replay_transfers_rejected_order_after_fix(capsys: pytest.CaptureFixture[str]) -> None:
    # The local stack restores the layout that made e-conomic reject the order.
    report = _run_json(capsys, "replay-order", "demo-brewery", LOCAL_REJECTED_ORDER, "--local")
    economic_steps = [step["state"] for step in report["journey"] if step["target"] == "economic"]
    assert economic_steps == ["in_progress", "failed", "in_progress", "transferred"]
