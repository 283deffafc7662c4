"""The heartbeat: find connections that used to transfer documents and have stopped.

It catches what no error alarm can: nothing fails because nothing runs (webhooks no longer
sent, a connection's transfer states set so that every order waits). One metric counts the
silent connections, without a connection dimension, so the stack has one alarm however many
connections it serves; the connection ids go into the log and a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from hub.ledger import TransferState
from hub.notifications import SilentConnectionNotice, publish
from hub.observability import logger, put_dimensioned_metric
from hub.runtime import get_runtime

LOOKBACK = timedelta(days=7)
"""How far back a transfer makes a connection one "with traffic"."""
NOTICE_QUIET_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SilentConnection:
    connection_id: str
    last_transfer_at: str


def check_heartbeats(now: datetime) -> list[SilentConnection]:
    """Return the connections with a transfer in the last LOOKBACK but none in the last N hours.

    Emits the metric `SilentConnections` on every run, zero included, so that the alarm can
    treat a missing value as the check itself not running.
    """
    runtime = get_runtime()
    hours = runtime.settings.heartbeat_hours
    silent_since = now - timedelta(hours=hours)
    silent: list[SilentConnection] = []
    for connection in runtime.connections.list():
        last = runtime.ledger.latest_step(
            connection.connection_id, since=now - LOOKBACK, states=frozenset({TransferState.TRANSFERRED})
        )
        if last is None or datetime.fromisoformat(last.logged_at) >= silent_since:
            continue
        silent.append(SilentConnection(connection.connection_id, last.logged_at))
        logger.warning(
            "connection transferred nothing",
            connection_id=connection.connection_id,
            hours=hours,
            last_transfer_at=last.logged_at,
        )
        topic = runtime.settings.notification_topic_arn
        if topic and runtime.ledger.claim_notice(
            connection.connection_id, "heartbeat", "connection", "all", quiet_seconds=NOTICE_QUIET_SECONDS
        ):
            publish(
                topic,
                SilentConnectionNotice(
                    connection_id=connection.connection_id, hours=hours, last_transfer_at=last.logged_at
                ),
            )
    put_dimensioned_metric(
        "SilentConnections", len(silent), MetricUnit.Count, {"environment": runtime.settings.environment}
    )
    return silent
