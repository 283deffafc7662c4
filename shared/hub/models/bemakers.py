"""Pydantic models of the Bemakers API contract that the hub assumes (docs/bemakers-api.md).

Bemakers publishes no public API reference, so every Bemakers field name lives here and in
the Bemakers client. Adjusting to the real partner API is a change to this module only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=4)]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Barcode = Annotated[str, StringConstraints(pattern=r"^(\d{8}|\d{12,14})$")]
"""A GTIN: EAN-8, UPC-A (12 digits), EAN-13 or GTIN-14. The model checks the length only."""
Measure = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4)]
DepositClass = Literal["A", "B", "C", "refillable"]


class BemakersModel(BaseModel):
    """Base for Bemakers payloads: unknown fields are kept out, numbers stay exact."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderStatus(StrEnum):
    WAITING_FOR_PAYMENT = "waiting_for_payment"
    CONFIRMED = "confirmed"
    IN_FULFILLMENT = "in_fulfillment"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CustomerType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"
    DISTRIBUTOR = "distributor"


class PaymentTerms(StrEnum):
    NET_8 = "net8"
    NET_14 = "net14"
    NET_30 = "net30"
    NET_60 = "net60"


class Address(BemakersModel):
    name: str | None = None
    company_name: str | None = None
    line1: NonEmptyStr
    line2: str | None = None
    postal_code: NonEmptyStr
    city: NonEmptyStr
    country: CountryCode


class Customer(BemakersModel):
    id: NonEmptyStr
    type: CustomerType
    name: NonEmptyStr
    company_name: str | None = None
    email: str | None = None
    phone: str | None = None
    vat_number: str | None = Field(
        default=None, description="CVR for Danish companies, else an EU VAT number"
    )
    ean: str | None = Field(default=None, description="GLN for public-sector e-invoicing")
    excise_number: str | None = Field(default=None, description="Distributor excise number")
    billing_address: Address
    shipping_address: Address | None = None


class DepositInfo(BemakersModel):
    """Danish deposit (pant) metadata of a line: the class (A, B, C or refillable) and deposit per unit."""

    deposit_class: DepositClass
    amount_per_unit_incl_vat: NonNegativeMoney


class OrderLine(BemakersModel):
    id: NonEmptyStr
    sku: NonEmptyStr
    ean: str | None = None
    name: NonEmptyStr
    quantity: Quantity
    unit_price_excl_vat: NonNegativeMoney
    unit_price_incl_vat: NonNegativeMoney
    vat_rate: Percent
    discount_percent: Percent = Decimal(0)
    line_type: Literal["product", "deposit"] = "product"
    deposit: DepositInfo | None = None


class ChargeLine(BemakersModel):
    """A shipping or payment-fee line: an amount with its VAT, without a product behind it."""

    name: NonEmptyStr
    price_excl_vat: NonNegativeMoney
    price_incl_vat: NonNegativeMoney
    vat_rate: Percent


class DiscountLine(BemakersModel):
    """An order-level discount, given as a positive amount taken off the order."""

    name: NonEmptyStr
    amount_excl_vat: NonNegativeMoney
    amount_incl_vat: NonNegativeMoney
    vat_rate: Percent


class OrderTotals(BemakersModel):
    total_excl_vat: Money
    vat: Money
    total_incl_vat: Money


class Order(BemakersModel):
    id: NonEmptyStr
    number: NonEmptyStr
    status: OrderStatus
    sales_channel: NonEmptyStr
    customer: Customer
    currency: CurrencyCode
    exchange_rate: Annotated[Decimal, Field(gt=0)] | None = Field(
        default=None, description="Price of 100 units of the order currency in the maker's base currency"
    )
    payment_method: NonEmptyStr
    payment_terms: PaymentTerms | None = None
    fulfilled_from: str | None = None
    shipping_method: str | None = Field(
        default=None, description="Id of the delivery method the customer chose, such as `gls-parcelshop`"
    )
    comment: str | None = None
    lines: Annotated[list[OrderLine], Field(min_length=1)]
    shipping: list[ChargeLine] = Field(default_factory=list)
    fees: list[ChargeLine] = Field(default_factory=list)
    discounts: list[DiscountLine] = Field(default_factory=list)
    totals: OrderTotals
    created_at: AwareDatetime
    updated_at: AwareDatetime


class CreditNoteLine(BemakersModel):
    """One refunded line: returned goods (`product`), shipping, a fee, or an amount without goods."""

    kind: Literal["product", "shipping", "fee", "amount"] = "product"
    order_line_id: str | None = None
    sku: str | None = None
    name: NonEmptyStr
    quantity: Quantity
    unit_price_excl_vat: NonNegativeMoney
    unit_price_incl_vat: NonNegativeMoney
    vat_rate: Percent
    restock: bool = False


class CreditNote(BemakersModel):
    id: NonEmptyStr
    number: NonEmptyStr
    order_id: NonEmptyStr
    currency: CurrencyCode
    lines: Annotated[list[CreditNoteLine], Field(min_length=1)]
    totals: OrderTotals
    created_at: AwareDatetime
    updated_at: AwareDatetime


class OrderEvent(BemakersModel):
    """A webhook delivery for `order.created` or `order.updated`."""

    id: NonEmptyStr
    type: Literal["order.created", "order.updated"]
    created_at: AwareDatetime
    data: Order


class CreditNoteEvent(BemakersModel):
    """A webhook delivery for `credit_note.created`."""

    id: NonEmptyStr
    type: Literal["credit_note.created"]
    created_at: AwareDatetime
    data: CreditNote


class Page(BemakersModel):
    """One page of a list endpoint; `next_cursor` is None on the last page."""

    next_cursor: str | None = None


class FulfillmentStatus(StrEnum):
    """The order's status after a fulfillment: the statuses a shipment can move an order to."""

    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"


class Tracking(BemakersModel):
    """One parcel's tracking number and, when the carrier has one, its tracking page."""

    number: NonEmptyStr
    url: str | None = None


class FulfillmentLine(BemakersModel):
    order_line_id: NonEmptyStr
    quantity: Quantity


class FulfillmentRequest(BemakersModel):
    """One shipment of an order, as the hub posts it to `POST /v1/orders/{id}/fulfillments`."""

    external_id: NonEmptyStr
    """The hub's id of the shipment, unique per order. A second post with the same id is rejected (409)."""
    status: FulfillmentStatus
    shipped_at: AwareDatetime
    carrier: str | None = None
    tracking: list[Tracking] = Field(default_factory=list)
    lines: Annotated[list[FulfillmentLine], Field(min_length=1)]


class Fulfillment(FulfillmentRequest):
    """A fulfillment as Bemakers stores it."""

    id: NonEmptyStr
    order_id: NonEmptyStr
    created_at: AwareDatetime


class FulfillmentList(BemakersModel):
    """`GET /v1/orders/{id}/fulfillments`: every fulfillment of one order, oldest first."""

    data: list[Fulfillment]


StockQuantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4)]


class StockLevel(BemakersModel):
    """Sellable units of one SKU at one location. `location` is the id an order's `fulfilled_from` uses."""

    sku: NonEmptyStr
    location: NonEmptyStr
    quantity: StockQuantity


MAX_STOCK_LEVELS_PER_REQUEST = 100


class StockLevelsRequest(BemakersModel):
    """The body of `PUT /v1/stock-levels`: levels to set, at most 100 per request."""

    levels: Annotated[list[StockLevel], Field(min_length=1, max_length=MAX_STOCK_LEVELS_PER_REQUEST)]


class StockLevelRejection(BemakersModel):
    sku: str
    location: str
    reason: Literal["unknown_sku", "unknown_location"]


class StockLevelsResult(BemakersModel):
    """The response to `PUT /v1/stock-levels`: the number of levels set and the rejected ones."""

    updated: Annotated[int, Field(ge=0)]
    rejected: list[StockLevelRejection] = Field(default_factory=list)


class OrderPage(Page):
    """One page of `GET /v1/orders?updated_since=…`."""

    data: list[Order]


class CreditNotePage(Page):
    """One page of `GET /v1/credit_notes?updated_since=…`."""

    data: list[CreditNote]


# -- products ------------------------------------------------------------------------------------

PRICE_FIELDS = ("price_excl_vat", "price_incl_vat", "vat_rate", "currency")


class ProductDetails(BemakersModel):
    """The fields a product without variants and a variant share: what a sellable item carries."""

    ean: Barcode | None = None
    price_excl_vat: NonNegativeMoney | None = None
    price_incl_vat: NonNegativeMoney | None = None
    vat_rate: Percent | None = None
    currency: CurrencyCode | None = None
    cost_price: NonNegativeMoney | None = Field(default=None, description="Excluding VAT")
    unit: NonEmptyStr | None = Field(default=None, description="Sales unit, such as pcs or case")
    weight_kg: Measure | None = Field(default=None, description="Gross shipping weight in kilograms")
    package_volume_litres: Measure | None = Field(default=None, description="Shipping volume in litres")
    abv: Percent | None = Field(default=None, description="Alcohol by volume in percent")
    volume_litres: Measure | None = Field(default=None, description="Liquid content in litres")
    packaging_type: NonEmptyStr | None = Field(default=None, description="Free text, such as bottle or can")
    excise_category: NonEmptyStr | None = Field(default=None, description="Free text, such as beer")
    deposit_class: DepositClass | None = None

    def missing_prices(self) -> list[str]:
        """Return the price fields that are not set; a sellable item needs all of them."""
        return [name for name in PRICE_FIELDS if getattr(self, name) is None]


class Variant(ProductDetails):
    """A sellable variant of a product, matched on its own SKU."""

    sku: Sku
    name: NonEmptyStr
    active: bool = True

    @model_validator(mode="after")
    def _check_prices(self) -> Variant:
        if missing := self.missing_prices():
            raise ValueError(f"a variant needs {', '.join(missing)}")
        return self


class Product(ProductDetails):
    """A product, matched on SKU. Without variants it is sold under its own SKU and needs prices."""

    sku: Sku
    name: NonEmptyStr
    active: bool = True
    variants: list[Variant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_product(self) -> Product:
        if not self.variants and (missing := self.missing_prices()):
            raise ValueError(f"a product without variants needs {', '.join(missing)}")
        skus = [self.sku, *(variant.sku for variant in self.variants)]
        if len(set(skus)) != len(skus):
            raise ValueError("the product and its variants need distinct SKUs")
        return self


class ProductUpdate(ProductDetails):
    """A partial update of a product or variant (`PATCH`): only the fields sent change.

    A field sent as null is cleared. `active: false` deactivates; Bemakers deletes nothing.
    """

    name: NonEmptyStr | None = None
    active: bool | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def version_of(updated_at: datetime) -> int:
    """Return a document's version: its `updated_at` in whole microseconds since the epoch."""
    return (updated_at - _EPOCH) // timedelta(microseconds=1)
