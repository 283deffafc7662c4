"""The objects a function keeps for the life of its execution environment.

Built on first use from the validated environment, so an import costs nothing and a
missing variable fails with a clear ConfigurationError at the first invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from hub import secrets
from hub.aws import reset_clients
from hub.connections import ConnectionStore
from hub.cursors import CursorStore
from hub.ledger import Ledger
from hub.monitoring import FailureNotifier, TransferMetrics
from hub.product_sync import ProductSyncStore
from hub.settings import Settings, get_settings

_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> None:
    """Register a function that drops a module's own cache when the runtime is reset."""
    _reset_hooks.append(hook)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    connections: ConnectionStore
    ledger: Ledger
    cursors: CursorStore
    product_sync: ProductSyncStore


@cache
def get_runtime() -> Runtime:
    """Return this execution environment's runtime objects."""
    settings = get_settings()
    ledger = Ledger(settings.ledger_table, log_ttl_days=settings.transfer_log_ttl_days)
    ledger.add_listener(TransferMetrics(settings.environment))
    if settings.notification_topic_arn:
        ledger.add_listener(
            FailureNotifier(
                ledger,
                settings.notification_topic_arn,
                quiet_hours=settings.failure_notice_quiet_hours,
                hourly_limit=settings.notices_per_connection_hour,
            )
        )
    return Runtime(
        settings=settings,
        connections=ConnectionStore(settings.connections_table),
        ledger=ledger,
        cursors=CursorStore(settings.cursors_table),
        product_sync=ProductSyncStore(settings.product_sync_table),
    )


def reset_runtime() -> None:
    """Forget every cached object, as a new execution environment would. Used by local runs and tests."""
    get_runtime.cache_clear()
    get_settings.cache_clear()
    reset_clients()
    secrets.clear_cache()
    for hook in _reset_hooks:
        hook()
