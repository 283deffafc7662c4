"""The interface every order target implements, whatever system is behind it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hub.errors import TargetError
from hub.models.bemakers import OrderStatus
from hub.models.canonical import CanonicalCreditNote, CanonicalOrder


class OriginalNotBooked(TargetError):
    """A credit note's original invoice is not booked yet; the credit note waits and tries again."""


class OrderTarget(Protocol):
    name: str
    """The target's ledger name, e.g. `economic`."""

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        """The order states in which the connection wants the order transferred."""
        ...

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Bring the target to the state the order asks for. Returns the target's document numbers.

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
    name: str

    def credit(self, credit_note: CanonicalCreditNote, order_documents: dict[str, str]) -> dict[str, str]:
        """Post the credit note against the order's documents. Returns the target's document numbers.

        Raises OriginalNotBooked while the order's document is not ready to be credited.
        """
        ...
