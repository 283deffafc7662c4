"""The credit note flow: one message on the credit notes queue becomes a credit note in each target.

A credit note can only be posted against a booked invoice. While the order's invoice is not
booked, the message goes back on the queue with a growing delay instead of failing, so it
never ends in the DLQ for waiting. After MAX_WAIT_ATTEMPTS it is recorded as failed.
"""

from __future__ import annotations

from pydantic import ValidationError

from hub.errors import InvalidOrder, TargetRejected, TargetUnavailable, TransferInProgress, validation_paths
from hub.flows.order_transfer import (
    Outcome,
    TargetOutcome,
    _cached_order_targets,
    _error_record,
    _record_invalid,
)
from hub.ledger import ClaimRefused, Lease, Ledger, TargetErrorRecord, TransferState
from hub.models.bemakers import CreditNote
from hub.models.messages import DocumentChanged
from hub.observability import logger, metrics
from hub.queue import enqueue
from hub.runtime import get_runtime
from hub.targets.base import CreditNoteTarget, OriginalNotBooked

MAX_WAIT_SECONDS = 900  # SQS's longest message delay
MAX_WAIT_ATTEMPTS = 100  # about a day at the longest delay


def wait_seconds(attempt: int, first_wait_seconds: int) -> int:
    """Return the delay before the `attempt`-th retry: doubling from the first, capped at 15 minutes."""
    return min(first_wait_seconds * 2 ** max(attempt - 1, 0), MAX_WAIT_SECONDS)


def transfer_credit_note(message: DocumentChanged, *, lease_seconds: float) -> list[TargetOutcome]:
    """Post the credit note to every target that takes credit notes.

    Raises TargetUnavailable or TransferInProgress when a target must be tried again later.
    """
    runtime = get_runtime()
    connection = runtime.connections.get(message.connection_id)
    logger.append_keys(
        connection_id=message.connection_id,
        document_kind=message.kind,
        document_id=message.document_id,
        version=message.version,
        attempt=message.attempt,
    )
    targets = [target for target in _cached_order_targets(connection) if isinstance(target, CreditNoteTarget)]
    if message.targets is not None:
        targets = [target for target in targets if target.name in message.targets]

    try:
        credit_note = CreditNote.model_validate(message.snapshot)
    except ValidationError as error:
        invalid = InvalidOrder("the credit note fails the Bemakers model", fields=validation_paths(error))
        return [_record_invalid(runtime.ledger, message, target.name, invalid) for target in targets]

    outcomes: list[TargetOutcome] = []
    retry_later: Exception | None = None
    for target in targets:
        try:
            outcomes.append(_credit_in_target(runtime.ledger, message, credit_note, target, lease_seconds))
        except (TargetUnavailable, TransferInProgress) as error:
            retry_later = retry_later or error
    if retry_later is not None:
        raise retry_later
    return outcomes


def _credit_in_target(
    ledger: Ledger,
    message: DocumentChanged,
    credit_note: CreditNote,
    target: CreditNoteTarget,
    lease_seconds: float,
) -> TargetOutcome:
    logger.append_keys(target=target.name)
    order = ledger.get(message.connection_id, "order", credit_note.order_id, target.name)
    if order is not None and order.state is TransferState.SKIPPED:
        ledger.record_not_transferred(
            message.connection_id,
            message.kind,
            message.document_id,
            target.name,
            version=message.version,
            state=TransferState.SKIPPED,
            reason="the credited order is not for this target",
            applied=True,
        )
        logger.info("credit note skipped: its order is not for this target")
        return TargetOutcome(target.name, Outcome.SKIPPED, {})
    try:
        lease = ledger.claim(
            message.connection_id,
            message.kind,
            message.document_id,
            target.name,
            version=message.version,
            lease_seconds=lease_seconds,
            force=message.force,
        )
    except ClaimRefused as refused:
        if refused.stale:
            logger.info("version already applied", applied_version=refused.record.applied_version)
            return TargetOutcome(target.name, Outcome.ALREADY_APPLIED, refused.record.documents)
        raise TransferInProgress(f"{target.name} credit of {message.document_id} is in progress") from None

    try:
        documents = target.transfer_credit_note(credit_note, order.documents if order else None)
    except OriginalNotBooked as waiting:
        return _wait_for_original(ledger, lease, message, target.name, str(waiting))
    except (TargetRejected, InvalidOrder) as error:
        record = ledger.finish(lease, state=TransferState.FAILED, error=_error_record(error), applied=True)
        logger.error("credit note rejected", error=record.error.model_dump() if record.error else None)
        metrics.add_metric(name="TransfersFailed", unit="Count", value=1)
        return TargetOutcome(target.name, Outcome.FAILED, record.documents)
    except Exception as error:
        ledger.finish(lease, state=TransferState.RETRYING, error=_error_record(error), applied=False)
        logger.warning(
            "credit note will be retried", error_type=type(error).__name__, error_message=str(error)
        )
        metrics.add_metric(name="TransfersRetried", unit="Count", value=1)
        raise

    if documents is None:
        record = ledger.finish(lease, state=TransferState.SKIPPED, applied=True)
        logger.info("credit note requires nothing of the target")
        return TargetOutcome(target.name, Outcome.SKIPPED, record.documents)
    record = ledger.finish(lease, state=TransferState.TRANSFERRED, documents=documents, applied=True)
    logger.info("credit note transferred", documents=record.documents)
    metrics.add_metric(name="CreditNotesTransferred", unit="Count", value=1)
    return TargetOutcome(target.name, Outcome.TRANSFERRED, record.documents)


def _wait_for_original(
    ledger: Ledger, lease: Lease, message: DocumentChanged, target: str, reason: str
) -> TargetOutcome:
    attempt = message.attempt + 1
    if attempt > MAX_WAIT_ATTEMPTS:
        error = TargetErrorRecord(message=f"{reason}; gave up after {MAX_WAIT_ATTEMPTS} attempts")
        record = ledger.finish(lease, state=TransferState.FAILED, error=error, applied=True)
        logger.error("credit note gave up waiting for its invoice", attempts=MAX_WAIT_ATTEMPTS)
        metrics.add_metric(name="TransfersFailed", unit="Count", value=1)
        return TargetOutcome(target, Outcome.FAILED, record.documents)

    settings = get_runtime().settings
    delay = wait_seconds(attempt, settings.credit_note_first_wait_seconds)
    enqueue(
        settings.credit_notes_queue_url,
        [message.model_copy(update={"attempt": attempt})],
        delay_seconds=delay,
    )
    record = ledger.finish(
        lease, state=TransferState.WAITING, error=TargetErrorRecord(message=reason), applied=False
    )
    logger.info("credit note waits for its invoice", retry_in_seconds=delay, next_attempt=attempt)
    metrics.add_metric(name="CreditNotesWaiting", unit="Count", value=1)
    return TargetOutcome(target, Outcome.WAITING, record.documents)
