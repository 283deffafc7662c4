"""The interfaces every target implements, whatever system is behind it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hub.errors import TargetError
from hub.models.bemakers import CreditNote, OrderStatus
from hub.models.canonical import CanonicalOrder


class OriginalNotBooked(TargetError):
    """A credit note's original document is not ready to be credited; the credit note waits."""


class OrderTarget(Protocol):
    name: str
    """The target's ledger name, e.g. `economic`."""

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        """The order states in which the connection wants the order transferred."""
        ...

    def skip_reason(self, order: CanonicalOrder) -> str | None:
        """Return why the order is not for this target at all, or None when it is."""
        ...

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Bring the target to the state the order describes. Returns the target's document numbers.

        Must be safe to call again after a crash at any point: a document created earlier
        is found by its external reference and adopted, never created twice. Raises
        TargetRejected, TargetUnavailable or InvalidOrder.
        """
        ...

    def cancel(self, order: CanonicalOrder, documents: dict[str, str]) -> dict[str, str]:
        """Undo a transferred order that was cancelled. Returns the documents, with what was done.

        Raises TargetRejected when the target cannot undo it, so the ledger records why.
        """
        ...


@runtime_checkable
class CreditNoteTarget(Protocol):
    """A target that acts on credit notes. Targets without this method are not sent credit notes."""

    name: str

    def transfer_credit_note(
        self, credit_note: CreditNote, order_documents: dict[str, str] | None
    ) -> dict[str, str] | None:
        """Bring the target to the state the credit note describes. Returns its document numbers.

        `order_documents` are the target's documents of the credited order, from the ledger, or
        None when the order never reached this target. Returns None when the credit note requires
        nothing of the target. Must be safe to call again after a crash at any point. Raises
        OriginalNotBooked while the order's document is not ready to be credited.
        """
        ...
