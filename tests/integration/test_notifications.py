"""Failure notices, the daily status report and the heartbeat, on the local stack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hubctl.demo import DEMO_CONNECTION, DemoEnvironment
from tests.integration.helpers import delivery_for, received_messages, sample_delivery
from tests.integration.test_log_privacy import PERSONAL_DATA
from tests.samples import CONSUMER_DK, WAITING, delivery_document


@pytest.fixture
def environment(environment: DemoEnvironment) -> DemoEnvironment:
    """The demo stack with its connection reduced to e-conomic, booking at transfer."""
    environment.use_economic_only()
    return environment


@pytest.fixture
def notices(environment: DemoEnvironment) -> str:
    """URL of a queue subscribed to the notification topic."""
    return environment.hub.subscribe_queue("NotificationTopic")


def _reject(environment: DemoEnvironment, order_id: str, updated_at: str = "2026-12-04T00:00:00Z") -> None:
    environment.configure_economic(layout=999)
    body = delivery_document(CONSUMER_DK)["body"]
    body["data"].update(id=order_id, updated_at=updated_at)
    environment.deliver(delivery_for(body, f"dlv_{order_id}_{updated_at}"))
    environment.hub.drain_queue()


def _of_type(messages: list[dict[str, Any]], notice_type: str) -> list[dict[str, Any]]:
    return [message for message in messages if message["type"] == notice_type]


# -- failure notices -----------------------------------------------------------------------------


def test_failed_transfer_sends_one_notice(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad")
    assert len(_of_type(received_messages(notices), "transfer_failed")) == 1


def test_failure_notice_names_order_target_and_reason(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad")
    notice = received_messages(notices)[0]
    assert (notice["connection_id"], notice["document_id"], notice["target"], notice["error"]["code"]) == (
        DEMO_CONNECTION,
        "ord_bad",
        "economic",
        "E06000",
    )


def test_failure_notice_carries_no_personal_data(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad")
    text = json.dumps(received_messages(notices))
    assert [value for value in PERSONAL_DATA if value in text] == []


def test_repeated_failure_sends_no_second_notice(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad")
    _reject(environment, "ord_bad", updated_at="2026-12-04T01:00:00Z")
    assert len(_of_type(received_messages(notices), "transfer_failed")) == 1


def test_each_failed_order_sends_its_own_notice(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad_1")
    _reject(environment, "ord_bad_2")
    documents = {notice["document_id"] for notice in _of_type(received_messages(notices), "transfer_failed")}
    assert documents == {"ord_bad_1", "ord_bad_2"}


def test_notices_per_connection_hour_are_capped(
    environment: DemoEnvironment, notices: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTICES_PER_CONNECTION_HOUR", "2")
    from hub.runtime import reset_runtime

    reset_runtime()
    for number in range(4):
        _reject(environment, f"ord_bad_{number}")
    assert len(_of_type(received_messages(notices), "transfer_failed")) == 2


def test_unpublished_notice_leaves_transfer_failed(
    environment: DemoEnvironment, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTIFICATION_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:no-such-topic")
    from hub.runtime import reset_runtime

    reset_runtime()
    _reject(environment, "ord_bad")
    state = environment.ledger.get(DEMO_CONNECTION, "order", "ord_bad", "economic")
    assert state is not None and state.state.value == "failed"
    assert '"NoticesFailed"' in capfd.readouterr().out


def test_retried_transfer_sends_no_notice(environment: DemoEnvironment, notices: str) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_500")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    assert received_messages(notices) == []


def test_failure_notice_text_tells_how_to_replay(environment: DemoEnvironment) -> None:
    from hub.notifications import TransferFailedNotice

    notice = TransferFailedNotice(
        connection_id="north", flow="order", document_id="ord_1", target="economic", version=1,
        error=None, failed_at="2026-12-04T00:00:00+00:00",
    )  # fmt: skip
    assert "hubctl replay-order north ord_1 --target economic" in notice.text()


# -- daily status report -------------------------------------------------------------------------


def _report(environment: DemoEnvironment, now: datetime | None = None) -> Any:
    # The schedule's time has whole seconds, so a step logged this second would fall after it.
    return environment.hub.run_schedule(
        "StatusReportFunction", now=now or datetime.now(UTC) + timedelta(seconds=2)
    )


def test_status_report_counts_per_flow_and_target(environment: DemoEnvironment, notices: str) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.deliver(sample_delivery(WAITING))
    environment.hub.drain_queue()
    _reject(environment, "ord_bad")
    _report(environment)
    report = _of_type(received_messages(notices), "status_report")[0]
    assert report["flows"] == [
        {"flow": "order", "target": "economic", "transferred": 1, "waiting": 1, "failed": 1, "retried": 0}
    ]


def test_status_report_counts_retries(environment: DemoEnvironment, notices: str) -> None:
    environment.economic.inject_fault("POST", "/invoices/drafts", "http_503")
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    _report(environment)
    report = _of_type(received_messages(notices), "status_report")[0]
    assert (report["flows"][0]["retried"], report["flows"][0]["transferred"]) == (1, 1)


def test_status_report_names_oldest_open_failure(environment: DemoEnvironment, notices: str) -> None:
    _reject(environment, "ord_bad_1")
    _reject(environment, "ord_bad_2")
    _report(environment)
    report = _of_type(received_messages(notices), "status_report")[0]
    assert (report["open_failures"], report["oldest_open_failure"]["document_id"]) == (2, "ord_bad_1")


def test_status_report_covers_one_day(environment: DemoEnvironment, notices: str) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    _report(environment, now=datetime.now(UTC) + timedelta(days=2))
    report = _of_type(received_messages(notices), "status_report")[0]
    assert report["flows"] == []


def test_status_report_has_no_personal_data(environment: DemoEnvironment, notices: str) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    _reject(environment, "ord_bad")
    _report(environment)
    text = json.dumps(received_messages(notices))
    assert [value for value in PERSONAL_DATA if value in text] == []


def test_status_report_text_lists_counts() -> None:
    from hub.notifications import FlowCounts, StatusReport

    report = StatusReport(
        connection_id="north", period_start="a", period_end="b",
        flows=[FlowCounts(flow="order", target="economic", transferred=12, failed=1)],
        open_failures=0, oldest_open_failure=None,
    )  # fmt: skip
    assert "order         economic              12        0       1        0" in report.text()


# -- heartbeat -----------------------------------------------------------------------------------


def _heartbeat(environment: DemoEnvironment, now: datetime) -> Any:
    return environment.hub.run_schedule("HeartbeatFunction", now=now)


def test_heartbeat_finds_silent_connection(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    result = _heartbeat(environment, datetime.now(UTC) + timedelta(hours=25))
    assert result == {"silent_connections": [DEMO_CONNECTION]}


def test_heartbeat_passes_recent_transfer(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    result = _heartbeat(environment, datetime.now(UTC) + timedelta(hours=1))
    assert result == {"silent_connections": []}


def test_heartbeat_ignores_connection_without_traffic(environment: DemoEnvironment) -> None:
    result = _heartbeat(environment, datetime.now(UTC))
    assert result == {"silent_connections": []}


def test_heartbeat_ignores_traffic_older_than_lookback(environment: DemoEnvironment) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    result = _heartbeat(environment, datetime.now(UTC) + timedelta(days=8))
    assert result == {"silent_connections": []}


def test_heartbeat_notifies_once_a_day(environment: DemoEnvironment, notices: str) -> None:
    environment.deliver(sample_delivery(CONSUMER_DK))
    environment.hub.drain_queue()
    later = datetime.now(UTC) + timedelta(hours=25)
    _heartbeat(environment, later)
    _heartbeat(environment, later + timedelta(hours=1))
    assert len(_of_type(received_messages(notices), "connection_silent")) == 1


def test_heartbeat_emits_metric_without_connection(
    environment: DemoEnvironment, capfd: pytest.CaptureFixture[str]
) -> None:
    _heartbeat(environment, datetime.now(UTC))
    blobs = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if '"SilentConnections"' in line
    ]
    assert blobs[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["environment", "service"]]
