"""Notices to people: failed transfers, daily status reports and silent connections, over SNS.

Every notice carries ids, counts, states and the target's stated reason, never customer data.
A notice is published with MessageStructure=json: e-mail subscribers get the text, and
every other protocol (SQS, HTTPS, Lambda) gets the JSON document.
"""

from __future__ import annotations

import json
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict

from hub.aws import sns_client
from hub.ledger import TargetErrorRecord, TransferState
from hub.observability import logger, metrics

SUBJECT_LIMIT = 100


class TransferFailedNotice(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["transfer_failed"] = "transfer_failed"
    connection_id: str
    flow: str
    document_id: str
    target: str
    version: int
    error: TargetErrorRecord | None
    # NOTE: the reason is the target's own message, as the ledger and the logs keep it. The
    # hub sends no personal data to it, but a target could echo a value back in its message.
    failed_at: str

    def subject(self) -> str:
        return f"Bemakers hub: {self.flow} {self.document_id} failed in {self.target}"

    def text(self) -> str:
        error = self.error
        reason = "no reason recorded"
        if error is not None:
            details = [f"HTTP {error.status}" if error.status else None, error.code, error.field]
            stated = ", ".join(detail for detail in details if detail)
            reason = f"{error.message} ({stated})" if stated else error.message
        return (
            f"The transfer of {self.flow} {self.document_id} (connection {self.connection_id}) to"
            f" {self.target} failed at {self.failed_at}.\n"
            f"Reason given by {self.target}: {reason}\n"
            f"Version: {self.version}\n\n"
            f"Its journey:          hubctl status {self.document_id} --connection {self.connection_id}\n"
            f"Replay after the fix: hubctl replay-order {self.connection_id} {self.document_id}"
            f" --target {self.target}\n"
        )


class FlowCounts(BaseModel):
    """Steps of one flow and target in the report's period, by the state they ended in."""

    model_config = ConfigDict(frozen=True)

    flow: str
    target: str
    transferred: int = 0
    waiting: int = 0
    failed: int = 0
    retried: int = 0


class OpenFailure(BaseModel):
    model_config = ConfigDict(frozen=True)

    flow: str
    document_id: str
    target: str
    state: TransferState
    error: TargetErrorRecord | None
    updated_at: str


class StatusReport(BaseModel):
    """One connection's day: counts per flow and target, and its oldest open failure."""

    model_config = ConfigDict(frozen=True)

    type: Literal["status_report"] = "status_report"
    connection_id: str
    period_start: str
    period_end: str
    flows: list[FlowCounts]
    open_failures: int
    oldest_open_failure: OpenFailure | None

    def subject(self) -> str:
        return f"Bemakers hub: daily status of {self.connection_id}"

    def text(self) -> str:
        lines = [
            f"Connection {self.connection_id}, {self.period_start} to {self.period_end}.",
            "",
            f"{'flow':<14}{'target':<12}{'transferred':>12}{'waiting':>9}{'failed':>8}{'retried':>9}",
        ]
        for counts in self.flows:
            lines.append(
                f"{counts.flow:<14}{counts.target:<12}{counts.transferred:>12}{counts.waiting:>9}"
                f"{counts.failed:>8}{counts.retried:>9}"
            )
        if not self.flows:
            lines.append("No transfer steps in this period.")
        lines.append("")
        lines.append(f"Open failures: {self.open_failures}")
        oldest = self.oldest_open_failure
        if oldest is not None:
            reason = oldest.error.message if oldest.error else "no reason recorded"
            lines.append(
                f"Oldest: {oldest.flow} {oldest.document_id} to {oldest.target}, {oldest.state.value}"
                f" since {oldest.updated_at}: {reason}"
            )
            lines.append(f"  hubctl status {oldest.document_id} --connection {self.connection_id}")
        return "\n".join(lines) + "\n"


class SilentConnectionNotice(BaseModel):
    """A connection that transferred documents before but none in the heartbeat window."""

    model_config = ConfigDict(frozen=True)

    type: Literal["connection_silent"] = "connection_silent"
    connection_id: str
    hours: int
    last_transfer_at: str

    def subject(self) -> str:
        return f"Bemakers hub: {self.connection_id} transferred nothing for {self.hours} hours"

    def text(self) -> str:
        return (
            f"Connection {self.connection_id} has transferred nothing for {self.hours} hours."
            f" Its last transfer was at {self.last_transfer_at}.\n"
            "Check that Bemakers still sends webhooks, that the order poll runs without errors, and"
            " that the connection's transfer_states match the order states in use.\n"
            f"  hubctl log {self.connection_id} --since {self.hours}h\n"
        )


Notice = TransferFailedNotice | StatusReport | SilentConnectionNotice


def publish(topic_arn: str, notice: Notice) -> bool:
    """Publish a notice. Returns False, after logging why, when SNS did not take it.

    A notice is best effort: the ledger keeps the facts, and the next status report shows them.
    """
    body = notice.model_dump_json()
    try:
        sns_client().publish(
            TopicArn=topic_arn,
            Subject=notice.subject()[:SUBJECT_LIMIT],
            MessageStructure="json",
            Message=json.dumps({"default": body, "email": notice.text()}),
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": notice.type},
                # Lets a maker's subscription take only its own connection (a filter policy).
                "connection_id": {"DataType": "String", "StringValue": notice.connection_id},
            },
        )
    except (ClientError, BotoCoreError) as error:
        logger.error(
            "notice not published",
            notice_type=notice.type,
            connection_id=notice.connection_id,
            error_type=type(error).__name__,
            error_code=error.response["Error"]["Code"] if isinstance(error, ClientError) else None,
        )
        metrics.add_metric(name="NoticesFailed", unit="Count", value=1)
        return False
    logger.info("notice published", notice_type=notice.type, connection_id=notice.connection_id)
    return True
