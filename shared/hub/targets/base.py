"""The interface every order target implements, whatever system is behind it."""

from __future__ import annotations

from typing import Protocol

from hub.models.bemakers import OrderStatus
from hub.models.canonical import CanonicalOrder


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
