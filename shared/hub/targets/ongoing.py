"""Orders and returns to Ongoing WMS: the order to pick and ship, its cancellation, and return orders.

`PUT /orders` creates or updates by order number, so a retry cannot create a second order.
Before each write the target reads the warehouse's order. Once the warehouse has started on
it, an order that still matches is adopted without a write, and a change is refused
(WarehouseChangeRefused, recorded as failed and counted for the alarm) instead of being dropped.
"""

from __future__ import annotations

from hub.connections import OngoingSettings
from hub.connectors.ongoing import OngoingClient
from hub.errors import TargetRejected, WarehouseChangeRefused
from hub.mapping.ongoing import to_ongoing_order, to_return_order, warehouse_differences
from hub.models import ongoing
from hub.models.bemakers import CreditNote, OrderStatus
from hub.models.canonical import CanonicalOrder
from hub.observability import logger, metrics

NAME = "ongoing"
REFUSED_METRIC = "WarehouseChangesRefused"


class OngoingOrderTarget:
    name = NAME

    def __init__(self, settings: OngoingSettings, client: OngoingClient) -> None:
        self._settings = settings
        self._client = client

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        return frozenset(self._settings.transfer_states) | {OrderStatus.CANCELLED}

    def skip_reason(self, order: CanonicalOrder) -> str | None:
        if self._settings.ships(order.fulfilled_from):
            return None
        if order.fulfilled_from is None:
            return "the order names no warehouse and ongoing.ships_unassigned_orders is false"
        return "the order is fulfilled from a warehouse this connection's Ongoing system does not serve"

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Send, update or cancel the warehouse order. See OrderTarget.transfer."""
        if order.status is OrderStatus.CANCELLED:
            return self._cancel(order)

        body = to_ongoing_order(order, self._client.goods_owner_id, self._settings)
        existing = self._client.find_order(order.order_number)
        if existing is not None and existing.status == ongoing.STATUS_CANCELLED:
            self._refuse(
                existing, "the warehouse order is cancelled, and a cancelled order cannot be reopened"
            )
        if existing is not None and existing.status >= self._settings.locked_from_status:
            # Fields the warehouse does not return (notifications, remark) are not compared, so a
            # change to only those is adopted without a write.
            differences = warehouse_differences(body, existing)
            if not differences:
                logger.info(
                    "warehouse order already up to date", ongoing_order_id=existing.order_info.order_id
                )
                return _documents(existing.order_info.order_id, order, existing.order_info.order_status.text)
            self._refuse(
                existing,
                f"the warehouse has started on the order (status {existing.status}"
                f" {existing.order_info.order_status.text}), so its change to"
                f" {', '.join(differences)} was not sent",
            )

        response = self._client.put_order(body)
        if response.order_id is None:
            raise TargetRejected(NAME, "PUT /orders returned no orderId", status=200)
        if existing is None:
            logger.info("warehouse order created", ongoing_order_id=response.order_id)
            metrics.add_metric(name="WarehouseOrdersCreated", unit="Count", value=1)
        else:
            logger.info("warehouse order updated", ongoing_order_id=response.order_id)
            metrics.add_metric(name="WarehouseOrdersUpdated", unit="Count", value=1)
        status = existing.order_info.order_status.text if existing else "Open"
        return _documents(response.order_id, order, status)

    def cancel(self, order: CanonicalOrder, documents: dict[str, str]) -> dict[str, str]:
        """Cancel the warehouse order, or raise WarehouseChangeRefused once picking has started."""
        return {**documents, **self._cancel(order)}

    def _cancel(self, order: CanonicalOrder) -> dict[str, str]:
        existing = self._client.find_order(order.order_number)
        if existing is None:
            logger.info("cancelled order was never sent to the warehouse")
            return {"order_number": order.order_number, "warehouse_status": "not sent"}
        order_id = existing.order_info.order_id
        if existing.status == ongoing.STATUS_CANCELLED:
            return _documents(order_id, order, existing.order_info.order_status.text)
        if existing.status >= self._settings.locked_from_status:
            self._refuse(
                existing,
                f"the warehouse has started on the order (status {existing.status}"
                f" {existing.order_info.order_status.text}), so it could not be cancelled",
            )
        self._client.cancel_order(order_id)
        logger.info("warehouse order cancelled", ongoing_order_id=order_id)
        metrics.add_metric(name="WarehouseOrdersCancelled", unit="Count", value=1)
        return _documents(order_id, order, "Cancelled")

    def _refuse(self, existing: ongoing.Order, reason: str) -> None:
        logger.warning(
            "warehouse change refused",
            ongoing_order_id=existing.order_info.order_id,
            warehouse_status=existing.status,
        )
        metrics.add_metric(name=REFUSED_METRIC, unit="Count", value=1)
        raise WarehouseChangeRefused(NAME, reason)

    def transfer_credit_note(
        self, credit_note: CreditNote, order_documents: dict[str, str] | None
    ) -> dict[str, str] | None:
        """Create or update the return order for the credit note's returned goods. See CreditNoteTarget."""
        if not any(line.restock for line in credit_note.lines):
            return None
        if not order_documents or "order_id" not in order_documents:
            raise TargetRejected(
                NAME,
                "the credited order was never sent to this warehouse, so it has no order to return to",
                status=404,
            )
        order = self._client.get_order(int(order_documents["order_id"]))
        if order is None:
            raise TargetRejected(
                NAME,
                f"warehouse order {order_documents['order_id']} of the credited order was not found",
                status=404,
            )
        body = to_return_order(credit_note, order, self._client.goods_owner_id, self._settings)
        if body is None:
            return None
        response = self._client.put_return_order(body)
        logger.info(
            "return order created or updated",
            ongoing_order_id=order.order_info.order_id,
            return_order_id=response.return_order_id,
        )
        metrics.add_metric(name="ReturnOrdersSent", unit="Count", value=1)
        documents = {"return_order_number": credit_note.number, "order_id": str(order.order_info.order_id)}
        if response.return_order_id is not None:
            documents["return_order_id"] = str(response.return_order_id)
        return documents


def _documents(order_id: int, order: CanonicalOrder, warehouse_status: str) -> dict[str, str]:
    return {
        "order_number": order.order_number,
        "order_id": str(order_id),
        "warehouse_status": warehouse_status,
    }
