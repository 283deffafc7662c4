"""The order poll flow: pull orders updated since each connection's cursor and enqueue them.

It is the fallback for shops without webhooks and the reconciliation for missed deliveries.
Re-enqueuing an order that a webhook already brought is harmless: the transfer skips
versions that were already applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.connections import Connection
from hub.connectors.bemakers import BemakersClient
from hub.errors import ConfigurationError, HubError, TargetError
from hub.models.bemakers import version_of
from hub.models.messages import DocumentChanged
from hub.observability import logger, metrics
from hub.queue import enqueue
from hub.runtime import Runtime, get_runtime
from hub.secrets import BemakersCredentials, read_secret

CURSOR_NAME = "orders"
FIRST_RUN_LOOKBACK = timedelta(days=1)
# Reads start a little before the cursor, so that an order written in the same second as
# the last one read is not missed. The overlap re-reads a few orders; the ledger skips them.
OVERLAP = timedelta(seconds=60)
ENQUEUE_CHUNK = 100


class PollFailed(HubError):
    """One or more connections could not be polled; the others were."""


@dataclass(frozen=True)
class PollReport:
    connection_id: str
    orders_enqueued: int
    cursor: datetime


def poll_orders(now: datetime) -> list[PollReport]:
    """Poll every connection. Raises PollFailed after trying all of them when any failed."""
    runtime = get_runtime()
    reports: list[PollReport] = []
    failed: list[str] = []
    for connection in runtime.connections.list():
        try:
            reports.append(poll_connection(runtime, connection, now))
        except (TargetError, ConfigurationError) as error:
            logger.error(
                "order poll failed",
                connection_id=connection.connection_id,
                error_type=type(error).__name__,
                error_message=str(error),
            )
            metrics.add_metric(name="PollsFailed", unit="Count", value=1)
            failed.append(connection.connection_id)
    if failed:
        raise PollFailed(f"order poll failed for connections {failed}")
    return reports


def poll_connection(runtime: Runtime, connection: Connection, now: datetime) -> PollReport:
    """Enqueue the connection's orders updated since its cursor, then move the cursor."""
    cursor = (
        runtime.cursors.get(connection.connection_id, CURSOR_NAME)
        or connection.bemakers.first_poll_since
        or now - FIRST_RUN_LOOKBACK
    )
    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    client = BemakersClient(
        connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
    )

    pending: list[DocumentChanged] = []
    newest = cursor
    count = 0
    for order in client.orders_updated_since(cursor - OVERLAP):
        pending.append(
            DocumentChanged(
                connection_id=connection.connection_id,
                kind="order",
                document_id=order.id,
                version=version_of(order.updated_at),
                source="poll",
                snapshot=order.model_dump(mode="json"),
            )
        )
        newest = max(newest, order.updated_at)
        if len(pending) >= ENQUEUE_CHUNK:
            enqueue(runtime.settings.orders_queue_url, pending)
            count += len(pending)
            pending = []
    if pending:
        enqueue(runtime.settings.orders_queue_url, pending)
        count += len(pending)

    # The cursor moves only after every order up to it is on the queue.
    runtime.cursors.advance(connection.connection_id, CURSOR_NAME, newest)
    logger.info("orders polled", connection_id=connection.connection_id, orders_enqueued=count)
    metrics.add_metric(name="OrdersPolled", unit="Count", value=count)
    return PollReport(connection.connection_id, count, newest)
