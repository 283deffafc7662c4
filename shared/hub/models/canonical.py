"""The canonical order: what every target maps from, whatever webshop the order came from.

Special lines (shipping, payment fees, order discounts, deposits) are ordinary lines with
a `kind`, so a target decides once how to post each kind. Money stays `Decimal`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from hub.cvr import is_valid_gln, normalize_cvr
from hub.models import bemakers
from hub.models.bemakers import CustomerType, OrderStatus, PaymentTerms, version_of


class LineKind(StrEnum):
    PRODUCT = "product"
    DEPOSIT = "deposit"
    SHIPPING = "shipping"
    FEE = "fee"
    DISCOUNT = "discount"
    REFUND = "refund"
    """An amount refunded without goods behind it (credit notes only)."""
    ROUNDING = "rounding"
    """The difference rounding leaves between a target's total and the webshop's."""


class CanonicalModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class Address(CanonicalModel):
    name: str | None = None
    company_name: str | None = None
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str


class Customer(CanonicalModel):
    customer_id: str
    """The webshop's id of the customer."""
    type: CustomerType
    name: str
    company_name: str | None
    email: str | None
    phone: str | None
    cvr: str | None
    """The normalised 8-digit CVR when the order's VAT number is a valid one, else None."""
    vat_number: str | None
    """The VAT number exactly as the order gave it."""
    ean: str | None
    """A GLN that passed the mod-10 check, else None."""
    billing_address: Address
    shipping_address: Address

    @property
    def display_name(self) -> str:
        """Return the company name for businesses that have one, else the person's name."""
        if self.type is not CustomerType.CONSUMER and self.company_name:
            return self.company_name
        return self.name


class Line(CanonicalModel):
    kind: LineKind
    line_id: str | None = None
    """The webshop's order line id of product and deposit lines; None for shipping, fees and discounts."""
    sku: str | None
    """The webshop SKU for product and deposit lines; None for lines a target maps to its own SKU."""
    name: str
    quantity: Decimal
    unit_price_excl_vat: Decimal
    unit_price_incl_vat: Decimal
    vat_rate: Decimal
    discount_percent: Decimal = Decimal(0)


class Totals(CanonicalModel):
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal


class CanonicalOrder(CanonicalModel):
    source: str
    order_id: str
    order_number: str
    status: OrderStatus
    version: int
    order_date: date
    currency: str
    exchange_rate: Decimal | None
    payment_method: str
    payment_terms: PaymentTerms | None
    fulfilled_from: str | None
    shipping_method: str | None = None
    comment: str | None
    customer: Customer
    lines: list[Line]
    totals: Totals


class CanonicalCreditNote(CanonicalModel):
    """A refund. Line quantities and prices are positive: the credited amount."""

    source: str
    credit_note_id: str
    credit_note_number: str
    order_id: str
    version: int
    credit_date: date
    currency: str
    lines: list[Line]
    totals: Totals


def _from_bemakers_address(address: bemakers.Address) -> Address:
    return Address(
        name=address.name,
        company_name=address.company_name,
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
    )


def _from_bemakers_customer(customer: bemakers.Customer) -> Customer:
    billing = _from_bemakers_address(customer.billing_address)
    shipping = _from_bemakers_address(customer.shipping_address) if customer.shipping_address else billing
    return Customer(
        customer_id=customer.id,
        type=customer.type,
        name=customer.name,
        company_name=customer.company_name,
        email=customer.email,
        phone=customer.phone,
        cvr=normalize_cvr(customer.vat_number),
        vat_number=customer.vat_number,
        ean=customer.ean if is_valid_gln(customer.ean) else None,
        billing_address=billing,
        shipping_address=shipping,
    )


def _from_charge(kind: LineKind, charge: bemakers.ChargeLine) -> Line:
    return Line(
        kind=kind,
        sku=None,
        name=charge.name,
        quantity=Decimal(1),
        unit_price_excl_vat=charge.price_excl_vat,
        unit_price_incl_vat=charge.price_incl_vat,
        vat_rate=charge.vat_rate,
    )


def from_bemakers_order(order: bemakers.Order) -> CanonicalOrder:
    """Map a Bemakers order to the canonical order."""
    lines = [
        Line(
            kind=LineKind.DEPOSIT if line.line_type == "deposit" else LineKind.PRODUCT,
            line_id=line.id,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price_excl_vat=line.unit_price_excl_vat,
            unit_price_incl_vat=line.unit_price_incl_vat,
            vat_rate=line.vat_rate,
            discount_percent=line.discount_percent,
        )
        for line in order.lines
    ]
    lines += [_from_charge(LineKind.SHIPPING, charge) for charge in order.shipping]
    lines += [_from_charge(LineKind.FEE, charge) for charge in order.fees]
    lines += [
        Line(
            kind=LineKind.DISCOUNT,
            sku=None,
            name=discount.name,
            quantity=Decimal(1),
            unit_price_excl_vat=-discount.amount_excl_vat,
            unit_price_incl_vat=-discount.amount_incl_vat,
            vat_rate=discount.vat_rate,
        )
        for discount in order.discounts
    ]
    return CanonicalOrder(
        source="bemakers",
        order_id=order.id,
        order_number=order.number,
        status=order.status,
        version=version_of(order.updated_at),
        order_date=order.created_at.date(),
        currency=order.currency,
        exchange_rate=order.exchange_rate,
        payment_method=order.payment_method,
        payment_terms=order.payment_terms,
        fulfilled_from=order.fulfilled_from,
        shipping_method=order.shipping_method,
        comment=order.comment,
        customer=_from_bemakers_customer(order.customer),
        lines=lines,
        totals=Totals(
            total_excl_vat=order.totals.total_excl_vat,
            vat=order.totals.vat,
            total_incl_vat=order.totals.total_incl_vat,
        ),
    )


_CREDIT_LINE_KINDS = {
    "product": LineKind.PRODUCT,
    "shipping": LineKind.SHIPPING,
    "fee": LineKind.FEE,
    "amount": LineKind.REFUND,
}


def from_bemakers_credit_note(credit_note: bemakers.CreditNote) -> CanonicalCreditNote:
    """Map a Bemakers credit note to the canonical credit note."""
    return CanonicalCreditNote(
        source="bemakers",
        credit_note_id=credit_note.id,
        credit_note_number=credit_note.number,
        order_id=credit_note.order_id,
        version=version_of(credit_note.updated_at),
        credit_date=credit_note.created_at.date(),
        currency=credit_note.currency,
        lines=[
            Line(
                kind=_CREDIT_LINE_KINDS[line.kind],
                sku=line.sku if line.kind == "product" else None,
                name=line.name,
                quantity=line.quantity,
                unit_price_excl_vat=line.unit_price_excl_vat,
                unit_price_incl_vat=line.unit_price_incl_vat,
                vat_rate=line.vat_rate,
            )
            for line in credit_note.lines
        ],
        totals=Totals(
            total_excl_vat=credit_note.totals.total_excl_vat,
            vat=credit_note.totals.vat,
            total_incl_vat=credit_note.totals.total_incl_vat,
        ),
    )
