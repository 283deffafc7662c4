"""What the hub does after each transfer step: metrics per flow and target, and failure notices.

The ledger calls these listeners after it writes a log item, so every flow that records its
transfers in the ledger gets them without code of its own.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from hub.ledger import Ledger, TransferLogEntry, TransferState
from hub.notifications import TransferFailedNotice, publish
from hub.observability import logger, metrics, put_dimensioned_metric


class TransferMetrics:
    """Emits `TransferSteps` (by state) and `TransferDuration` with environment, flow and target."""

    def __init__(self, environment: str) -> None:
        self._environment = environment

    def __call__(self, entry: TransferLogEntry) -> None:
        dimensions = {"environment": self._environment, "flow": entry.kind, "target": entry.target}
        put_dimensioned_metric(
            "TransferSteps", 1, MetricUnit.Count, {**dimensions, "state": entry.state.value}
        )
        if entry.duration_ms is not None:
            put_dimensioned_metric("TransferDuration", entry.duration_ms, MetricUnit.Milliseconds, dimensions)


class FailureNotifier:
    """Publishes one notice per failed document and target, at most once per quiet period.

    Each connection may also send only `hourly_limit` notices per hour, so a wrong setting that
    fails every order does not flood the inbox. Suppressed notices are logged and counted.
    """

    def __init__(self, ledger: Ledger, topic_arn: str, *, quiet_hours: int, hourly_limit: int) -> None:
        self._ledger = ledger
        self._topic_arn = topic_arn
        self._quiet_seconds = quiet_hours * 3600
        self._hourly_limit = hourly_limit

    def __call__(self, entry: TransferLogEntry) -> None:
        if entry.state is not TransferState.FAILED:
            return
        first_notice = self._ledger.claim_notice(
            entry.connection_id,
            entry.kind,
            entry.document_id,
            entry.target,
            quiet_seconds=self._quiet_seconds,
        )
        if not first_notice:
            logger.info("failure notice already sent", target=entry.target, document_id=entry.document_id)
            return
        if not self._ledger.count_notice(entry.connection_id, hourly_limit=self._hourly_limit):
            logger.warning(
                "failure notice suppressed: hourly limit reached",
                connection_id=entry.connection_id,
                target=entry.target,
                document_id=entry.document_id,
                hourly_limit=self._hourly_limit,
            )
            metrics.add_metric(name="NoticesSuppressed", unit="Count", value=1)
            return
        notice = TransferFailedNotice(
            connection_id=entry.connection_id,
            flow=entry.kind,
            document_id=entry.document_id,
            target=entry.target,
            version=entry.version,
            error=entry.error,
            failed_at=entry.logged_at,
        )
        publish(self._topic_arn, notice)
