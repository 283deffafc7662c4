"""Webshop sales and refunds in Zettle's POS stock: inventory movements matched by variant SKU.

An order in a trigger state moves each product line's quantity from the STORE location to SOLD.
A cancellation and a credit note's restocked lines move it back. The whole document goes in one
`PUT /organizations/self/inventory`, so Zettle applies all of its lines or none.

Exactly once: the flow's ledger lease keeps two workers apart, and the documents this target
returns record each line and the movement's uuid. A later version of the same order, or a
redelivery, finds the movement in the ledger's documents and moves nothing. The movement's
`externalUuid` is derived from the connection, document and direction, so a retry after a crash
between Zettle's response and the ledger write sends the same uuid.
NOTE: that last case is exactly-once only if Zettle ignores a repeated `externalUuid`. The
vendor's documentation at hand says only that the uuid is passed through to the webhook events;
the sandbox assumes de-duplication.

Lines whose SKU is missing from the product library, or whose product Zettle does not track, are
recorded as skipped with the SKU named, not failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.connections import ZettleSettings
from hub.connectors.zettle import ZettleClient, whole_units
from hub.models import zettle
from hub.models.bemakers import CreditNote, OrderStatus
from hub.models.canonical import CanonicalOrder, LineKind
from hub.observability import logger, metrics

NAME = "zettle"
SALE_MOVEMENT = "sale_movement"
CANCEL_MOVEMENT = "cancel_movement"
RESTOCK_MOVEMENT = "restock_movement"
NO_MOVEMENT = "none"
SOLD_PREFIX = "sold "
RETURNED_PREFIX = "returned "

PreviousDocuments = Callable[[str, str], dict[str, str]]
"""Returns the target's ledger documents of a document kind and id; empty when there are none."""


@dataclass(frozen=True)
class _StockLine:
    line_id: str
    sku: str | None
    quantity: Decimal


class ZettleTarget:
    name = NAME

    def __init__(
        self,
        connection_id: str,
        settings: ZettleSettings,
        client: ZettleClient,
        previous_documents: PreviousDocuments,
    ) -> None:
        self._connection_id = connection_id
        self._settings = settings
        self._client = client
        self._previous_documents = previous_documents

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        return frozenset(self._settings.transfer_states) | {OrderStatus.CANCELLED}

    def skip_reason(self, order: CanonicalOrder) -> str | None:
        if self._settings.sells(order.fulfilled_from):
            return None
        return "the order is fulfilled from a location whose sales do not lower Zettle stock"

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Move the order's quantities from STORE to SOLD, once per order. See OrderTarget.transfer."""
        previous = self._previous_documents("order", order.order_id)
        if order.status is OrderStatus.CANCELLED:
            return self.cancel(order, previous)
        if SALE_MOVEMENT in previous:
            # NOTE: a change to the lines after the stock moved is not followed: the sale stays as moved.
            logger.info("Zettle stock already moved for this order", movement=previous[SALE_MOVEMENT])
            return previous
        lines = [
            _StockLine(line.line_id or str(index), line.sku, line.quantity)
            for index, line in enumerate(order.lines)
            if line.kind is LineKind.PRODUCT
        ]
        documents = self._move(
            lines,
            from_type="STORE",
            to_type="SOLD",
            external_uuid=self._movement_uuid("order", order.order_id, "sale"),
            done_prefix=SOLD_PREFIX,
        )
        documents[SALE_MOVEMENT] = documents.pop("movement")
        return documents

    def cancel(self, order: CanonicalOrder, documents: dict[str, str]) -> dict[str, str]:
        """Move back what the order took from Zettle stock, once."""
        if CANCEL_MOVEMENT in documents:
            return documents
        sold = {key for key, value in documents.items() if value.startswith(SOLD_PREFIX)}
        lines = [
            _StockLine(line.line_id or str(index), line.sku, line.quantity)
            for index, line in enumerate(order.lines)
            if line.kind is LineKind.PRODUCT and f"line.{line.line_id or index}" in sold
        ]
        result = self._move(
            lines,
            from_type="SOLD",
            to_type="STORE",
            external_uuid=self._movement_uuid("order", order.order_id, "cancel"),
            done_prefix=RETURNED_PREFIX,
        )
        return {**documents, CANCEL_MOVEMENT: result["movement"]}

    def transfer_credit_note(
        self, credit_note: CreditNote, order_documents: dict[str, str] | None
    ) -> dict[str, str] | None:
        """Move the restocked lines that the sale took from Zettle back to STORE. See CreditNoteTarget."""
        restocked = [line for line in credit_note.lines if line.kind == "product" and line.restock]
        if (
            not restocked
            or not order_documents
            or order_documents.get(SALE_MOVEMENT, NO_MOVEMENT) == NO_MOVEMENT
        ):
            return None
        previous = self._previous_documents("credit_note", credit_note.id)
        if RESTOCK_MOVEMENT in previous:
            logger.info(
                "Zettle stock already restocked for this credit note", movement=previous[RESTOCK_MOVEMENT]
            )
            return previous

        documents: dict[str, str] = {}
        lines: list[_StockLine] = []
        for index, line in enumerate(restocked):
            key = line.order_line_id or f"credit-{index}"
            if not order_documents.get(f"line.{key}", "").startswith(SOLD_PREFIX):
                documents[f"line.{key}"] = (
                    f"skipped: SKU {line.sku} was not taken from Zettle stock by the sale"
                )
                continue
            lines.append(_StockLine(key, line.sku, line.quantity))
        moved = self._move(
            lines,
            from_type="SOLD",
            to_type="STORE",
            external_uuid=self._movement_uuid("credit_note", credit_note.id, "restock"),
            done_prefix=RETURNED_PREFIX,
        )
        documents.update(moved)
        documents[RESTOCK_MOVEMENT] = documents.pop("movement")
        return documents

    # -- movements --------------------------------------------------------------------------------

    def _move(
        self,
        lines: Sequence[_StockLine],
        *,
        from_type: zettle.LocationType,
        to_type: zettle.LocationType,
        external_uuid: str,
        done_prefix: str,
    ) -> dict[str, str]:
        """Move the lines' quantities in one request. Returns a document per line and `movement`."""
        documents: dict[str, str] = {}
        if not lines:
            documents["movement"] = NO_MOVEMENT
            return documents
        variants = _variants_by_sku(self._client.products())
        tracked = set(self._client.balances("STORE").tracked_products)

        changes: list[dict[str, Any]] = []
        for line in lines:
            key = f"line.{line.line_id}"
            units = whole_units(line.quantity)
            found = variants.get(line.sku) if line.sku else None
            if found is None:
                documents[key] = f"skipped: SKU {line.sku} is not in the Zettle product library"
            elif found[0] not in tracked:
                documents[key] = f"skipped: SKU {line.sku} is not tracked in Zettle inventory"
            elif units is None or units <= 0:
                documents[key] = (
                    f"skipped: SKU {line.sku} quantity {line.quantity} is not a whole number of units"
                )
            else:
                changes.append({"productUuid": found[0], "variantUuid": found[1], "change": units})
                documents[key] = f"{done_prefix}{units} x {line.sku}"
                continue
            logger.warning(
                "line not moved in Zettle", line_id=line.line_id, sku=line.sku, reason=documents[key]
            )
            metrics.add_metric(name="ZettleLinesSkipped", unit="Count", value=1)

        if not changes:
            documents["movement"] = NO_MOVEMENT
            return documents
        self._client.move(changes, from_type=from_type, to_type=to_type, external_uuid=external_uuid)
        logger.info(
            "Zettle stock moved",
            movement=external_uuid,
            from_location=from_type,
            to_location=to_type,
            lines=len(changes),
        )
        metrics.add_metric(name="ZettleMovements", unit="Count", value=1)
        documents["movement"] = external_uuid
        return documents

    def _movement_uuid(self, kind: str, document_id: str, direction: str) -> str:
        return str(
            uuid.uuid5(
                uuid.NAMESPACE_URL, f"bemakers-hub:{self._connection_id}:{kind}:{document_id}:{direction}"
            )
        )


def _variants_by_sku(products: Sequence[zettle.Product]) -> dict[str, tuple[str, str]]:
    """Return (product uuid, variant uuid) per variant SKU. A SKU on two variants keeps the first."""
    variants: dict[str, tuple[str, str]] = {}
    for product in products:
        for variant in product.variants:
            if variant.sku:
                variants.setdefault(variant.sku, (product.uuid, variant.uuid))
    return variants
