"""The order transfer flow: one queue message brings every target of its connection up to date."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from hub.connections import Connection
from hub.errors import InvalidOrder, TargetRejected, TargetUnavailable, TransferInProgress, validation_paths
from hub.ledger import ClaimRefused, Ledger, TargetErrorRecord, TransferState
from hub.models.bemakers import Order, OrderStatus
from hub.models.canonical import CanonicalOrder, from_bemakers_order
from hub.models.messages import DocumentChanged
from hub.observability import logger, metrics
from hub.runtime import get_runtime, on_reset
from hub.secrets import SECRET_CACHE_SECONDS
from hub.targets.base import OrderTarget
from hub.targets.factory import order_targets


class Outcome(StrEnum):
    TRANSFERRED = "transferred"
    WAITING = "waiting"
    FAILED = "failed"
    ALREADY_APPLIED = "already_applied"
    """This version, or a newer one, was already applied: a duplicate or late delivery."""
    NOT_ACTED_ON = "not_acted_on"
    """The order was transferred earlier; this later state requires nothing of the target."""
    SKIPPED = "skipped"
    """The document is not for this target, or requires nothing of it."""
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TargetOutcome:
    target: str
    outcome: Outcome
    documents: dict[str, str]


_targets_cache: dict[str, tuple[float, list[OrderTarget]]] = {}
on_reset(_targets_cache.clear)


def _cached_order_targets(connection: Connection) -> list[OrderTarget]:
    # Targets keep one HTTP session each, so a warm function reuses its connections. They
    # are rebuilt when the connection changes or the secret cache period ends (rotation).
    key = connection.model_dump_json()
    cached = _targets_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < SECRET_CACHE_SECONDS:
        return cached[1]
    targets = order_targets(connection)
    _targets_cache.clear()
    _targets_cache[key] = (time.monotonic(), targets)
    return targets


def transfer_document(message: DocumentChanged, *, lease_seconds: float) -> list[TargetOutcome]:
    """Bring each of the connection's targets to the state the message's snapshot describes.

    Raises TargetUnavailable or TransferInProgress when a target must be tried again later;
    targets that succeeded are skipped on that retry because their version is recorded.
    """
    runtime = get_runtime()
    connection = runtime.connections.get(message.connection_id)
    logger.append_keys(
        connection_id=message.connection_id,
        document_kind=message.kind,
        document_id=message.document_id,
        version=message.version,
    )

    targets = _cached_order_targets(connection)
    if message.targets is not None:
        targets = [target for target in targets if target.name in message.targets]

    try:
        order = from_bemakers_order(Order.model_validate(message.snapshot))
    except ValidationError as error:
        invalid = InvalidOrder(
            "the order snapshot fails the Bemakers order model", fields=validation_paths(error)
        )
        return [_record_invalid(runtime.ledger, message, target.name, invalid) for target in targets]

    outcomes: list[TargetOutcome] = []
    retry_later: Exception | None = None
    for target in targets:
        try:
            outcomes.append(_transfer_to_target(runtime.ledger, message, order, target, lease_seconds))
        except (TargetUnavailable, TransferInProgress) as error:
            retry_later = retry_later or error
    if retry_later is not None:
        raise retry_later
    return outcomes


def _transfer_to_target(
    ledger: Ledger, message: DocumentChanged, order: CanonicalOrder, target: OrderTarget, lease_seconds: float
) -> TargetOutcome:
    logger.append_keys(target=target.name)
    skip_reason = target.skip_reason(order)
    if skip_reason is not None:
        return _record_skipped(ledger, message, target.name, skip_reason)

    previous = ledger.get(message.connection_id, message.kind, message.document_id, target.name)
    transferred_before = previous is not None and previous.state is TransferState.TRANSFERRED
    documents_before = previous.documents if previous is not None else {}
    if order.status is OrderStatus.CANCELLED:
        if not transferred_before:
            return _record_waiting(
                ledger,
                message,
                target.name,
                "order cancelled before it was transferred",
                TransferState.SKIPPED,
            )
        return _apply_with_lease(
            ledger,
            message,
            target.name,
            lease_seconds,
            lambda: target.cancel(order, documents_before),
            done_state=TransferState.CANCELLED,
        )
    if order.status in target.transfer_states or transferred_before:
        # Once transferred, every later version goes to the target, which follows it as far as
        # the target allows (an unbooked draft changes, a booked invoice or picked order does not).
        return _apply_with_lease(ledger, message, target.name, lease_seconds, lambda: target.transfer(order))
    return _record_waiting(
        ledger, message, target.name, f"order status {order.status.value} is not transferred"
    )


def _apply_with_lease(
    ledger: Ledger,
    message: DocumentChanged,
    target: str,
    lease_seconds: float,
    apply: Callable[[], dict[str, str] | None],
    *,
    done_state: TransferState = TransferState.TRANSFERRED,
) -> TargetOutcome:
    """Run `apply` under the ledger's lease and record its outcome as `done_state`.

    `apply` returns the target's documents, or None when the document requires nothing of the target.
    """
    try:
        lease = ledger.claim(
            message.connection_id,
            message.kind,
            message.document_id,
            target,
            version=message.version,
            lease_seconds=lease_seconds,
            force=message.force,
        )
    except ClaimRefused as refused:
        if refused.stale:
            logger.info("version already applied", applied_version=refused.record.applied_version)
            metrics.add_metric(name="DuplicateDeliveries", unit="Count", value=1)
            return TargetOutcome(target, Outcome.ALREADY_APPLIED, refused.record.documents)
        logger.info("lease held by another worker, message will be retried")
        raise TransferInProgress(f"{target} transfer of {message.document_id} is in progress") from None

    try:
        documents = apply()
    except (TargetRejected, InvalidOrder) as error:
        record = ledger.finish(lease, state=TransferState.FAILED, error=_error_record(error), applied=True)
        logger.error("transfer rejected", error=record.error.model_dump() if record.error else None)
        metrics.add_metric(name="TransfersFailed", unit="Count", value=1)
        return TargetOutcome(target, Outcome.FAILED, record.documents)
    except Exception as error:
        # Record why, give the lease back so the redelivery need not wait for it to lapse,
        # and let the queue deliver the message again.
        ledger.finish(lease, state=TransferState.RETRYING, error=_error_record(error), applied=False)
        logger.warning("transfer will be retried", error_type=type(error).__name__, error_message=str(error))
        metrics.add_metric(name="TransfersRetried", unit="Count", value=1)
        raise

    if documents is None:
        record = ledger.finish(lease, state=TransferState.SKIPPED, applied=True)
        logger.info("document requires nothing of the target")
        return TargetOutcome(target, Outcome.SKIPPED, record.documents)
    record = ledger.finish(lease, state=done_state, documents=documents, applied=True)
    if done_state is TransferState.CANCELLED:
        logger.info("order cancellation carried out", documents=record.documents)
        metrics.add_metric(name="OrdersCancelled", unit="Count", value=1)
        return TargetOutcome(target, Outcome.CANCELLED, record.documents)
    logger.info("document transferred", documents=record.documents)
    metrics.add_metric(
        name="OrdersTransferred" if message.kind == "order" else "CreditNotesTransferred",
        unit="Count",
        value=1,
    )
    return TargetOutcome(target, Outcome.TRANSFERRED, record.documents)


def _record_skipped(ledger: Ledger, message: DocumentChanged, target: str, reason: str) -> TargetOutcome:
    record = ledger.record_not_transferred(
        message.connection_id,
        message.kind,
        message.document_id,
        target,
        version=message.version,
        state=TransferState.SKIPPED,
        reason=reason,
    )
    logger.info("document skipped", target=target, reason=reason)
    return TargetOutcome(target, Outcome.SKIPPED, record.documents if record else {})


def _record_waiting(
    ledger: Ledger,
    message: DocumentChanged,
    target: str,
    reason: str,
    state: TransferState = TransferState.WAITING,
) -> TargetOutcome:
    record = ledger.record_waiting(
        message.connection_id,
        message.kind,
        message.document_id,
        target,
        version=message.version,
        reason=reason,
        state=state,
        applied=state is TransferState.SKIPPED,
    )
    if record is None:
        logger.info("later state not acted on", target=target, reason=reason)
        return TargetOutcome(target, Outcome.NOT_ACTED_ON, {})
    logger.info("document waiting", target=target, reason=reason)
    metrics.add_metric(name="DocumentsWaiting", unit="Count", value=1)
    return TargetOutcome(target, Outcome.WAITING, record.documents)


def _record_invalid(
    ledger: Ledger, message: DocumentChanged, target: str, error: InvalidOrder
) -> TargetOutcome:
    try:
        lease = ledger.claim(
            message.connection_id, message.kind, message.document_id, target,
            version=message.version, lease_seconds=30, force=message.force,
        )  # fmt: skip
    except ClaimRefused as refused:
        return TargetOutcome(target, Outcome.ALREADY_APPLIED, refused.record.documents)
    ledger.finish(lease, state=TransferState.FAILED, error=_error_record(error), applied=True)
    logger.error("order snapshot invalid", target=target, fields=error.fields)
    metrics.add_metric(name="TransfersFailed", unit="Count", value=1)
    return TargetOutcome(target, Outcome.FAILED, {})


def _error_record(error: Exception) -> TargetErrorRecord:
    if isinstance(error, TargetRejected):
        return TargetErrorRecord(
            message=str(error), status=error.status, code=error.code, field=error.field, log_id=error.log_id
        )
    if isinstance(error, InvalidOrder):
        return TargetErrorRecord(message=str(error), field=", ".join(error.fields) or None)
    if isinstance(error, TargetUnavailable):
        return TargetErrorRecord(message=str(error), status=error.status)
    return TargetErrorRecord(message=f"{type(error).__name__}: {error}")
