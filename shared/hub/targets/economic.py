"""Orders to e-conomic: customer, products and a draft invoice, booked when the connection says so."""

from __future__ import annotations

from typing import Any

from hub.connections import EconomicSettings
from hub.connectors.economic import EconomicClient
from hub.mapping.economic import (
    customer_match_filter,
    order_reference,
    product_number_for,
    to_draft_invoice,
    to_economic_customer,
    to_economic_product,
)
from hub.models.bemakers import OrderStatus
from hub.models.canonical import CanonicalOrder
from hub.observability import logger, metrics

NAME = "economic"


class EconomicOrderTarget:
    name = NAME

    def __init__(self, settings: EconomicSettings, client: EconomicClient) -> None:
        self._settings = settings
        self._client = client

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        return frozenset(self._settings.transfer_states)

    def skip_reason(self, order: CanonicalOrder) -> str | None:
        return None

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Create or adopt the order's invoice. See OrderTarget.transfer."""
        reference = order_reference(order)

        # Adopt what an earlier attempt created before it could record it: a draft, or an
        # invoice that was already booked (booking consumes the draft).
        draft = self._client.find_draft_invoice(reference)
        if draft is None:
            booked = self._client.find_booked_invoice(reference)
            if booked is not None:
                logger.info("booked invoice adopted", booked_invoice_number=booked["bookedInvoiceNumber"])
                return _documents(booked, booked_invoice=booked)
            draft = self._create_draft_invoice(order)
        else:
            logger.info("draft invoice adopted", draft_invoice_number=draft["draftInvoiceNumber"])

        if not self._settings.book_invoices:
            return _documents(draft)
        booked = self._client.book_draft_invoice(draft["draftInvoiceNumber"])
        logger.info(
            "invoice booked",
            draft_invoice_number=draft["draftInvoiceNumber"],
            booked_invoice_number=booked["bookedInvoiceNumber"],
        )
        metrics.add_metric(name="InvoicesBooked", unit="Count", value=1)
        return _documents(draft, booked_invoice=booked)

    def _create_draft_invoice(self, order: CanonicalOrder) -> dict[str, Any]:
        customer_number = self._ensure_customer(order)
        self._ensure_products(order)
        draft = self._client.create_draft_invoice(to_draft_invoice(order, customer_number, self._settings))
        logger.info(
            "draft invoice created",
            draft_invoice_number=draft["draftInvoiceNumber"],
            customer_number=customer_number,
        )
        metrics.add_metric(name="DraftInvoicesCreated", unit="Count", value=1)
        return draft

    def _ensure_customer(self, order: CanonicalOrder) -> int:
        match = customer_match_filter(order.customer)
        existing = self._client.find_customer(match) if match else None
        if existing is not None:
            return int(existing["customerNumber"])
        created = self._client.create_customer(to_economic_customer(order, self._settings))
        logger.info(
            "customer created",
            customer_number=created["customerNumber"],
            customer_type=order.customer.type.value,
        )
        return int(created["customerNumber"])

    def _ensure_products(self, order: CanonicalOrder) -> None:
        seen: set[str] = set()
        for line in order.lines:
            product_number = product_number_for(line, self._settings)
            if product_number in seen:
                continue
            seen.add(product_number)
            if self._client.get_product(product_number) is not None:
                continue
            self._client.create_product(to_economic_product(line, self._settings))
            logger.info("product created", product_number=product_number)


def _documents(invoice: dict[str, Any], *, booked_invoice: dict[str, Any] | None = None) -> dict[str, str]:
    documents = {"customer_number": str(invoice["customer"]["customerNumber"])}
    if "draftInvoiceNumber" in invoice:
        documents["draft_invoice_number"] = str(invoice["draftInvoiceNumber"])
    if booked_invoice is not None:
        documents["booked_invoice_number"] = str(booked_invoice["bookedInvoiceNumber"])
    return documents
