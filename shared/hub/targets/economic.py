"""Orders and credit notes to e-conomic.

An order becomes a customer, products and a draft invoice (or draft order). The draft
follows the order's changes while it is unbooked, is booked when the connection's booking
rule calls for it, and is never changed once booked. A cancelled order deletes its unbooked
draft, or credits its booked invoice when the connection asks for it. A credit note
becomes a negative invoice against the order's booked invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.connectors.economic import DRAFT_INVOICES, DRAFT_ORDERS, EconomicClient
from hub.economic_settings import EconomicSettings
from hub.errors import InvalidOrder, TargetRejected
from hub.mapping.economic import (
    InvoiceLine,
    Reconciled,
    check_credit_note,
    credit_note_lines,
    credit_note_reference,
    customer_kind,
    customer_match_filter,
    customer_update,
    has_invalid_cvr,
    invoice_vat_rate,
    order_reference,
    order_reference_for,
    reconcile,
    reconciled_order_lines,
    to_credit_note_draft,
    to_draft_invoice,
    to_economic_customer,
    to_economic_product,
)
from hub.models.bemakers import CreditNote, CustomerType, OrderStatus
from hub.models.canonical import CanonicalCreditNote, CanonicalOrder, from_bemakers_credit_note
from hub.observability import logger, metrics
from hub.targets.base import OriginalNotBooked

NAME = "economic"


class EconomicOrderTarget:
    name = NAME

    def __init__(self, settings: EconomicSettings, client: EconomicClient) -> None:
        self._settings = settings
        self._client = client
        self._drafts_path = DRAFT_ORDERS if settings.document_type == "order" else DRAFT_INVOICES

    @property
    def transfer_states(self) -> frozenset[OrderStatus]:
        return self._settings.states_acted_on()

    # -- orders ---------------------------------------------------------------------------------

    def skip_reason(self, order: CanonicalOrder) -> str | None:
        return None

    def transfer(self, order: CanonicalOrder) -> dict[str, str]:
        """Create, update or adopt the order's invoice, and book it when due. See OrderTarget.transfer."""
        reference = order_reference(order)
        if has_invalid_cvr(order.customer, self._settings.home_country):
            if self._settings.customers.reject_invalid_cvr:
                raise InvalidOrder(
                    "the customer's VAT number is not a valid CVR", fields=["customer.vat_number"]
                )
            logger.warning("invalid CVR noted on the invoice", order_id=order.order_id)
            metrics.add_metric(name="InvalidCvr", unit="Count", value=1)

        # Adopt what an earlier attempt created before it could record it. A booked invoice
        # is never changed; booking consumed its draft.
        draft = self._client.find_draft(reference, drafts_path=self._drafts_path)
        if draft is None and self._settings.document_type == "invoice":
            booked = self._client.find_booked_invoice(reference)
            if booked is not None:
                logger.info("booked invoice adopted", booked_invoice_number=booked["bookedInvoiceNumber"])
                return _documents(booked, booked_invoice=booked)

        reconciled = reconciled_order_lines(order, self._settings)
        customer_number = self._ensure_customer(order)
        self._ensure_products(reconciled.lines)
        body = to_draft_invoice(order, customer_number, self._settings, reconciled)
        if draft is None:
            draft = self._client.create_draft(body, drafts_path=self._drafts_path)
            logger.info("draft created", draft_number=_draft_number(draft), customer_number=customer_number)
            metrics.add_metric(name="DraftsCreated", unit="Count", value=1)
        else:
            # The unbooked draft follows the order's latest version.
            draft = self._client.update_draft(_draft_number(draft), body, drafts_path=self._drafts_path)
            logger.info("draft updated", draft_number=_draft_number(draft))
        if reconciled.rounding:
            logger.info(
                "rounding settled", rounding=str(reconciled.rounding), draft_number=_draft_number(draft)
            )

        documents = _documents(draft, rounding=reconciled.rounding)
        if self._settings.document_type == "invoice" and self._settings.books_in(order.status):
            booked = self._client.book_draft_invoice(draft["draftInvoiceNumber"])
            logger.info(
                "invoice booked",
                draft_invoice_number=draft["draftInvoiceNumber"],
                booked_invoice_number=booked["bookedInvoiceNumber"],
            )
            metrics.add_metric(name="InvoicesBooked", unit="Count", value=1)
            documents = _documents(draft, booked_invoice=booked, rounding=reconciled.rounding)
        return documents

    def cancel(self, order: CanonicalOrder, documents: dict[str, str]) -> dict[str, str]:
        """Undo the order in e-conomic: delete an unbooked draft, or credit a booked invoice if configured.

        Raises TargetRejected when the invoice is booked and the connection does not credit it,
        so the ledger records why the cancellation was not carried out.
        """
        reference = order_reference(order)
        draft = self._client.find_draft(reference, drafts_path=self._drafts_path)
        if draft is not None:
            self._client.delete_draft(_draft_number(draft), drafts_path=self._drafts_path)
            logger.info("draft deleted for cancelled order", draft_number=_draft_number(draft))
            return {**documents, "cancellation": "draft_deleted"}
        booked = (
            self._client.find_booked_invoice(reference) if self._settings.document_type == "invoice" else None
        )
        if booked is None:
            return {**documents, "cancellation": "nothing_to_cancel"}
        if not self._settings.credit_cancelled_booked:
            raise TargetRejected(
                NAME,
                f"the order is cancelled but invoice {booked['bookedInvoiceNumber']} is booked; credit it in"
                " e-conomic, or set credit_cancelled_booked to let the hub do it",
                status=409,
            )
        credited = self._credit_booked_invoice(order, booked)
        return {**documents, **credited, "cancellation": "invoice_credited"}

    def _credit_booked_invoice(self, order: CanonicalOrder, booked: dict[str, Any]) -> dict[str, str]:
        reference = f"bemakers-cancellation:{order.order_id}"
        existing = self._client.find_draft(reference) or self._client.find_booked_invoice(reference)
        if existing is None:
            draft = dict(booked)
            for key in (
                "bookedInvoiceNumber",
                "self",
                "pdf",
                "netAmount",
                "grossAmount",
                "vatAmount",
                "remainder",
            ):
                draft.pop(key, None)
            draft["references"] = {"other": reference}
            draft["notes"] = {
                "heading": f"Credit note for cancelled order {order.order_number}",
                "textLine1": f"Credits booked invoice {booked['bookedInvoiceNumber']}",
            }
            draft["lines"] = [
                {
                    key: value
                    for key, value in line.items()
                    if key in ("lineNumber", "sortKey", "description", "unitNetPrice", "discountPercentage")
                }
                | {
                    "product": {"productNumber": line["product"]["productNumber"]},
                    "quantity": -line["quantity"],
                }
                for line in booked["lines"]
            ]
            draft["recipient"] = {
                key: value for key, value in booked["recipient"].items() if key not in ("self",)
            } | {"vatZone": {"vatZoneNumber": booked["recipient"]["vatZone"]["vatZoneNumber"]}}
            for key in ("customer", "layout", "paymentTerms"):
                number_key = {
                    "customer": "customerNumber",
                    "layout": "layoutNumber",
                    "paymentTerms": "paymentTermsNumber",
                }[key]
                draft[key] = {number_key: booked[key][number_key]}
            existing = self._client.create_draft(draft)
        if "draftInvoiceNumber" in existing:
            existing = self._client.book_draft_invoice(existing["draftInvoiceNumber"])
        logger.info("cancelled order credited", credit_note_invoice_number=existing["bookedInvoiceNumber"])
        return {"credit_note_booked_invoice_number": str(existing["bookedInvoiceNumber"])}

    def _ensure_customer(self, order: CanonicalOrder) -> int:
        settings = self._settings
        if settings.settlement == "bemakers" and settings.bemakers_customer_number is not None:
            return settings.bemakers_customer_number
        shared = settings.customers.shared_consumer_customer
        if order.customer.type is CustomerType.CONSUMER and shared is not None:
            return shared

        rule = settings.customers.rule_for(customer_kind(order.customer))
        match = customer_match_filter(order.customer, settings)
        existing = self._client.find_customer(match) if match else None
        if existing is not None:
            update = customer_update(existing, order, settings)
            if update is not None:
                self._client.update_customer(int(existing["customerNumber"]), update)
                logger.info("customer updated", customer_number=existing["customerNumber"])
            return int(existing["customerNumber"])
        if not rule.create_missing:
            raise InvalidOrder(
                f"no e-conomic customer matches the order's {rule.match_on}, and creating customers of"
                f" this type is switched off",
                fields=["customer"],
            )
        created = self._client.create_customer(to_economic_customer(order, settings))
        logger.info(
            "customer created",
            customer_number=created["customerNumber"],
            customer_type=order.customer.type.value,
        )
        return int(created["customerNumber"])

    def _ensure_products(self, lines: list[InvoiceLine]) -> None:
        existing = self._client.find_products([line.product_number for line in lines])
        for line in lines:
            if line.product_number in existing:
                continue
            if not self._settings.create_missing_products:
                raise InvalidOrder(
                    f"product {line.product_number!r} is not in e-conomic, and creating products"
                    " is switched off",
                    fields=["lines.sku"],
                )
            existing[line.product_number] = self._client.create_product(
                to_economic_product(line, self._settings)
            )
            logger.info("product created", product_number=line.product_number)

    # -- credit notes ---------------------------------------------------------------------------

    def transfer_credit_note(
        self, credit_note: CreditNote, order_documents: dict[str, str] | None
    ) -> dict[str, str]:
        """Create or adopt the credit note's negative invoice against the order's booked invoice.

        Raises OriginalNotBooked while the order's invoice is not booked yet, InvalidOrder for a
        zero-value credit note or lines that do not add up.
        """
        return self._credit(from_bemakers_credit_note(credit_note), order_documents or {})

    def _credit(self, credit_note: CanonicalCreditNote, order_documents: dict[str, str]) -> dict[str, str]:
        check_credit_note(credit_note)
        reference = credit_note_reference(credit_note)
        booked_credit = self._client.find_booked_invoice(reference)
        if booked_credit is not None:
            return {"booked_invoice_number": str(booked_credit["bookedInvoiceNumber"])}

        original = self._original_invoice(credit_note, order_documents)
        draft = self._client.find_draft(reference)
        if draft is None:
            zone = int(original["recipient"]["vatZone"]["vatZoneNumber"])
            reconciled: Reconciled = reconcile(
                credit_note_lines(credit_note, self._settings),
                gross_total=credit_note.totals.total_incl_vat,
                vat_rate=invoice_vat_rate(zone, self._settings, credit_note.lines),
                settings=self._settings,
                sign=-1,
            )
            self._ensure_products(reconciled.lines)
            order_number = order_documents.get("order_number", credit_note.order_id)
            draft = self._client.create_draft(
                to_credit_note_draft(credit_note, original, order_number, reconciled)
            )
            logger.info("credit note draft created", draft_invoice_number=draft["draftInvoiceNumber"])
        documents = {
            "draft_invoice_number": str(draft["draftInvoiceNumber"]),
            "credited_invoice_number": str(original["bookedInvoiceNumber"]),
        }
        if self._settings.booking == "off":
            return documents
        booked = self._client.book_draft_invoice(draft["draftInvoiceNumber"])
        logger.info("credit note booked", booked_invoice_number=booked["bookedInvoiceNumber"])
        metrics.add_metric(name="CreditNotesBooked", unit="Count", value=1)
        return {**documents, "booked_invoice_number": str(booked["bookedInvoiceNumber"])}

    def _original_invoice(
        self, credit_note: CanonicalCreditNote, order_documents: dict[str, str]
    ) -> dict[str, Any]:
        number = order_documents.get("booked_invoice_number")
        original = self._client.get_booked_invoice(int(number)) if number else None
        if original is None:
            original = self._client.find_booked_invoice(order_reference_for(credit_note.order_id))
        if original is None:
            raise OriginalNotBooked(
                NAME,
                f"the invoice of order {credit_note.order_id} is not booked yet, so it cannot be credited",
            )
        return original


def _draft_number(draft: dict[str, Any]) -> int:
    return int(draft.get("draftInvoiceNumber") or draft["orderNumber"])


def _documents(
    invoice: dict[str, Any], *, booked_invoice: dict[str, Any] | None = None, rounding: Decimal | None = None
) -> dict[str, str]:
    documents = {"customer_number": str(invoice["customer"]["customerNumber"])}
    if "draftInvoiceNumber" in invoice:
        documents["draft_invoice_number"] = str(invoice["draftInvoiceNumber"])
    if "orderNumber" in invoice:
        documents["draft_order_number"] = str(invoice["orderNumber"])
    if booked_invoice is not None:
        documents["booked_invoice_number"] = str(booked_invoice["bookedInvoiceNumber"])
    if rounding:
        documents["rounding"] = str(rounding)
    return documents
