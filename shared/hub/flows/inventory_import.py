"""The inventory import flow: stock levels from each connection's stock source into Bemakers.

A run reads the source page by page and pushes only the levels that changed. After each page
it saves a checkpoint, and when the invocation nears its timeout it stops there. The next
scheduled run resumes from the checkpoint, so a large catalogue completes across invocations,
and a run that fails part-way keeps what it finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hub.connections import Connection
from hub.connectors.bemakers import BemakersClient
from hub.errors import ConfigurationError, HubError, TargetError
from hub.inventory.base import StockSource
from hub.inventory.push import PushCounts, push_changed_levels
from hub.inventory.sources import stock_sources
from hub.inventory.store import PushedLevels
from hub.observability import logger, metrics
from hub.runtime import Runtime, get_runtime
from hub.secrets import BemakersCredentials, read_secret

CHECKPOINT_NAME = "inventory"
# A run starts no new page when less time remains. One page is two source reads, a DynamoDB
# batch and a few Bemakers requests, which should fit with room left (an estimate, not measured).
SAFETY_MARGIN_SECONDS = 30.0


class InventoryImportFailed(HubError):
    """One or more connections' stock could not be imported; the others were."""


@dataclass
class InventoryReport:
    connection_id: str
    source: str
    complete: bool
    """False when the run stopped at a checkpoint to resume next time."""
    resumed: bool
    pages: int = 0
    counts: PushCounts = field(default_factory=PushCounts)


def import_inventory(time_left: Callable[[], float]) -> list[InventoryReport]:
    """Import every stock source of every connection. Raises InventoryImportFailed when any failed.

    `time_left` returns the seconds left in this invocation.
    """
    runtime = get_runtime()
    reports: list[InventoryReport] = []
    failed: list[str] = []
    for connection in runtime.connections.list():
        if not connection.stock_sources():
            continue
        try:
            for source in stock_sources(connection):
                reports.append(import_connection_inventory(runtime, connection, source, time_left))
        except (TargetError, ConfigurationError) as error:
            logger.error(
                "inventory import failed",
                connection_id=connection.connection_id,
                error_type=type(error).__name__,
                error_message=str(error),
            )
            metrics.add_metric(name="InventoryImportsFailed", unit="Count", value=1)
            failed.append(connection.connection_id)
    if failed:
        raise InventoryImportFailed(f"inventory import failed for connections {failed}")
    return reports


def import_connection_inventory(
    runtime: Runtime, connection: Connection, source: StockSource, time_left: Callable[[], float]
) -> InventoryReport:
    """Push the source's changed levels from the saved checkpoint on, until the end or the time runs short."""
    checkpoint_name = f"{CHECKPOINT_NAME}#{source.name}"
    position = runtime.cursors.checkpoint(connection.connection_id, checkpoint_name)
    report = InventoryReport(
        connection.connection_id, source.name, complete=False, resumed=position is not None
    )
    credentials = read_secret(connection.bemakers.secret_name, BemakersCredentials)
    bemakers = BemakersClient(
        connection.bemakers.base_url, credentials, timeout_seconds=connection.bemakers.timeout_seconds
    )
    pushed = PushedLevels(runtime.settings.ledger_table)

    while time_left() >= SAFETY_MARGIN_SECONDS:
        page = source.read_page(position)
        report.counts.add(
            push_changed_levels(
                connection.connection_id,
                source.name,
                page.readings,
                pushed,
                bemakers,
                stock_master=connection.stock_master,
            )
        )
        report.pages += 1
        position = page.next_position
        if position is None:
            runtime.cursors.clear_checkpoint(connection.connection_id, checkpoint_name)
            report.complete = True
            break
        runtime.cursors.save_checkpoint(connection.connection_id, checkpoint_name, position)

    logger.info(
        "inventory imported" if report.complete else "inventory import paused at a checkpoint",
        connection_id=connection.connection_id,
        source=source.name,
        pages=report.pages,
        resumed=report.resumed,
        levels_pushed=report.counts.pushed,
    )
    return report
