"""The daily status report: per connection, what each flow and target did and what is still open."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hub.connections import Connection
from hub.ledger import Ledger, TransferState
from hub.notifications import FlowCounts, OpenFailure, StatusReport, publish
from hub.observability import logger, metrics
from hub.runtime import get_runtime

PERIOD = timedelta(days=1)

# Which count each logged step adds to. `in_progress` steps are starts, not outcomes.
_COUNTED = {
    TransferState.TRANSFERRED: "transferred",
    TransferState.WAITING: "waiting",
    TransferState.FAILED: "failed",
    TransferState.RETRYING: "retried",
}


def send_status_reports(now: datetime) -> list[StatusReport]:
    """Build each connection's report for the day before `now` and publish it, when a topic is set."""
    runtime = get_runtime()
    reports = []
    for connection in runtime.connections.list():
        report = build_status_report(runtime.ledger, connection, now)
        reports.append(report)
        logger.info(
            "status report built",
            connection_id=connection.connection_id,
            flows=[counts.model_dump() for counts in report.flows],
            open_failures=report.open_failures,
        )
        if runtime.settings.notification_topic_arn:
            publish(runtime.settings.notification_topic_arn, report)
        metrics.add_metric(name="StatusReportsBuilt", unit="Count", value=1)
    return reports


def build_status_report(ledger: Ledger, connection: Connection, now: datetime) -> StatusReport:
    """Count the connection's logged steps from `now - PERIOD` to `now` and find its oldest open failure."""
    start = now - PERIOD
    counts: Counter[tuple[str, str, str]] = Counter()
    for entry in ledger.connection_log(connection.connection_id, since=start, until=now):
        column = _COUNTED.get(entry.state)
        if column is not None:
            counts[(entry.kind, entry.target, column)] += 1

    flows = [
        FlowCounts(
            flow=flow,
            target=target,
            **{column: counts[(flow, target, column)] for column in _COUNTED.values()},
        )
        for flow, target in sorted({(flow, target) for flow, target, _ in counts})
    ]
    failures = ledger.open_failures(connection.connection_id)
    oldest = failures[0] if failures else None
    return StatusReport(
        connection_id=connection.connection_id,
        period_start=start.isoformat(),
        period_end=now.isoformat(),
        flows=flows,
        open_failures=len(failures),
        oldest_open_failure=OpenFailure(
            flow=oldest.kind,
            document_id=oldest.document_id,
            target=oldest.target,
            state=oldest.state,
            error=oldest.error,
            updated_at=oldest.updated_at,
        )
        if oldest is not None
        else None,
    )
