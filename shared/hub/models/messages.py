"""Messages on the orders queue.

A message is level-triggered: "document X changed, here is its snapshot and version". The
transfer function brings each target to the state the snapshot asks for, so duplicate and
out-of-order deliveries are harmless.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

DocumentKind = Literal["order", "credit_note"]


class DocumentChanged(BaseModel):
    model_config = ConfigDict(frozen=True)

    connection_id: str
    kind: DocumentKind
    document_id: str
    version: int
    source: Literal["webhook", "poll", "replay"]
    delivery_id: str | None = None
    force: bool = False
    """Transfer even when this version was already applied (a replay after a fix)."""
    attempt: int = 0
    """How often the hub put this change back on the queue to wait for an unbooked invoice."""
    targets: list[str] | None = None
    """Names of the targets to transfer to (a replay for one target); None means every target."""
    snapshot: dict[str, Any]
    """The Bemakers document as the webhook or the poll delivered it."""
