"""The order poll flow: pull orders updated since each connection's cursor and enqueue them.

It is the fallback for shops without webhooks and the reconciliation for missed deliveries.
Re-enqueuing an order that a webhook already brought is harmless: the transfer skips
versions that were already applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.connections import Connection
from hub.connectors.bemakers import BemakersClient
from hub.errors import ConfigurationError, HubError, TargetError
from hub.models.bemakers import CreditNote, Order, version_of
from hub.models.messages import DocumentChanged, DocumentKind
from hub.observability import logger, metrics
from hub.queue import enqueue
from hub.runtime import Runtime, get_runtime
from hub.secrets import BemakersCredentials, read_secret

CURSOR_NAME = "orders"
CREDIT_NOTE_CURSOR_NAME = "credit_notes"
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
    credit_notes_enqueued: int = 0


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
    """Enqueue the connection's orders and credit notes updated since their cursors, then move the cursors."""
    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    client = BemakersClient(
        connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
    )
    orders, newest = _poll_documents(
        runtime,
        connection,
        now,
        CURSOR_NAME,
        "order",
        client.orders_updated_since,
        runtime.settings.orders_queue_url,
    )
    credit_notes, _ = _poll_documents(
        runtime,
        connection,
        now,
        CREDIT_NOTE_CURSOR_NAME,
        "credit_note",
        client.credit_notes_updated_since,
        runtime.settings.credit_notes_queue_url,
    )
    logger.info(
        "documents polled",
        connection_id=connection.connection_id,
        orders_enqueued=orders,
        credit_notes_enqueued=credit_notes,
    )
    metrics.add_metric(name="OrdersPolled", unit="Count", value=orders)
    metrics.add_metric(name="CreditNotesPolled", unit="Count", value=credit_notes)
    return PollReport(connection.connection_id, orders, newest, credit_notes)


def _poll_documents(
    runtime: Runtime,
    connection: Connection,
    now: datetime,
    cursor_name: str,
    kind: DocumentKind,
    read: Callable[[datetime], Iterator[Order | CreditNote]],
    queue_url: str,
) -> tuple[int, datetime]:
    """Enqueue one kind of document updated since its cursor. Returns the count and the new cursor."""
    cursor = (
        runtime.cursors.get(connection.connection_id, cursor_name)
        or connection.bemakers.first_poll_since
        or now - FIRST_RUN_LOOKBACK
    )
    pending: list[DocumentChanged] = []
    newest = cursor
    count = 0
    for document in read(cursor - OVERLAP):
        pending.append(
            DocumentChanged(
                connection_id=connection.connection_id,
                kind=kind,
                document_id=document.id,
                version=version_of(document.updated_at),
                source="poll",
                snapshot=document.model_dump(mode="json"),
            )
        )
        newest = max(newest, document.updated_at)
        if len(pending) >= ENQUEUE_CHUNK:
            enqueue(queue_url, pending)
            count += len(pending)
            pending = []
    if pending:
        enqueue(queue_url, pending)
        count += len(pending)

    # The cursor moves only after every document up to it is on the queue.
    runtime.cursors.advance(connection.connection_id, cursor_name, newest)
    return count, newest
