"""A connection's e-conomic settings: customers, VAT zones, special lines, payment, booking, settlement."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from hub.models.bemakers import OrderStatus, PaymentTerms

PositiveNumber = Annotated[int, Field(ge=1)]
ProductNumber = Annotated[str, StringConstraints(min_length=1, max_length=25)]
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

MatchField = Literal["email", "phone", "cvr", "ean", "customer_number"]
UpdatableField = Literal["name", "address", "email", "phone", "cvr", "ean"]
CustomerKind = Literal["consumer", "business", "distributor", "public"]
"""Bemakers' customer types, plus `public`: any customer whose order carries a valid EAN (GLN)."""


class StrictSettings(BaseModel):
    """Settings reject unknown keys, so a misspelt option or an inline secret is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerRule(StrictSettings):
    """How customers of one type are found, created and updated in e-conomic."""

    match_on: MatchField
    customer_group: PositiveNumber
    create_missing: bool = True
    update_existing: bool = False
    update_fields: list[UpdatableField] = ["name", "address", "email", "phone"]
    """The fields an update may overwrite; the others keep what e-conomic has."""


class CustomerSettings(StrictSettings):
    consumer: CustomerRule = CustomerRule(match_on="email", customer_group=1)
    business: CustomerRule = CustomerRule(match_on="cvr", customer_group=2)
    distributor: CustomerRule = CustomerRule(match_on="cvr", customer_group=3)
    public: CustomerRule = CustomerRule(match_on="ean", customer_group=2)
    shared_consumer_customer: PositiveNumber | None = None
    """Post every consumer sale to this one customer; the invoice still names the buyer."""
    reject_invalid_cvr: bool = False
    """Reject an order whose VAT number is not a valid CVR, instead of noting it on the invoice."""

    def rule_for(self, kind: CustomerKind) -> CustomerRule:
        rule: CustomerRule = getattr(self, kind)
        return rule


class VatZones(StrictSettings):
    """e-conomic VAT zone numbers, chosen by the delivery country and the customer's VAT number."""

    domestic: PositiveNumber = 1
    eu_reverse_charge: PositiveNumber = 2
    """EU business customers with a VAT number of another member state."""
    eu_consumer: PositiveNumber = 1
    """EU consumers: the domestic zone below the EU distance-sales threshold, or an OSS zone above it."""
    abroad: PositiveNumber = 3
    """Delivery outside the EU: exempt."""


class EconomicSettings(StrictSettings):
    base_url: str = "https://restapi.e-conomic.com"
    secret_name: SecretName
    """Secrets Manager name of a JSON secret with `app_secret_token` and `agreement_grant_token`."""
    transfer_states: Annotated[list[OrderStatus], Field(min_length=1)] = [
        OrderStatus.CONFIRMED,
        OrderStatus.COMPLETED,
    ]
    document_type: Literal["invoice", "order"] = "invoice"
    """Post orders as draft invoices (the default) or as e-conomic orders."""
    booking: Literal["off", "on_transfer", "on_states"] = "off"
    """Leave invoices as drafts, book them when transferred, or book them in `book_states`."""
    book_states: list[OrderStatus] = [OrderStatus.COMPLETED]
    credit_cancelled_booked: bool = False
    """Cancelling an order whose invoice is booked creates a credit note."""

    home_country: CountryCode = "DK"
    base_currency: CurrencyCode = "DKK"
    vat_zones: VatZones = VatZones()
    customers: CustomerSettings = CustomerSettings()
    settlement: Literal["end_customer", "bemakers"] = "end_customer"
    """Post sales to the end customer, or to Bemakers (the seller of record) in the base currency."""
    bemakers_customer_number: PositiveNumber | None = None

    layout: PositiveNumber
    layout_by_method: dict[str, PositiveNumber] = {}
    default_payment_terms: PositiveNumber
    payment_terms_by_method: dict[str, PositiveNumber] = {}
    """Payment terms number per payment method. Prepaid methods (card, mobilepay) map to paid terms."""
    payment_terms_by_terms: dict[PaymentTerms, PositiveNumber] = {}
    """Payment terms number per Bemakers payment terms (`net8`, `net14`, `net30`, `net60`)."""

    product_group: PositiveNumber = 1
    exempt_product_group: PositiveNumber = 3
    """Group without VAT, for rounding and non-taxable shipping products the hub creates."""
    create_missing_products: bool = True
    shipping_sku: ProductNumber = "SHIPPING"
    shipping_exempt_sku: ProductNumber = "SHIPPING-NOVAT"
    fee_sku: ProductNumber = "FEE"
    discount_sku: ProductNumber = "DISCOUNT"
    discount_mode: Literal["line", "percentage"] = "line"
    """Post an order discount as a line on `discount_sku`, or as a discount percentage on product lines."""
    rounding_sku: ProductNumber = "ROUNDING"
    refund_sku: ProductNumber = "REFUND"

    timeout_seconds: float = Field(default=10, gt=0, le=60)
    max_attempts: int = Field(default=4, ge=1, le=10)

    @model_validator(mode="after")
    def _check_combinations(self) -> EconomicSettings:
        if OrderStatus.CANCELLED in self.transfer_states:
            raise ValueError("transfer_states cannot include cancelled: a cancelled order is never invoiced")
        if self.settlement == "bemakers" and self.bemakers_customer_number is None:
            raise ValueError("settlement bemakers needs bemakers_customer_number")
        if self.booking == "on_states" and not self.book_states:
            raise ValueError("booking on_states needs at least one state in book_states")
        if self.document_type == "order" and self.booking != "off":
            raise ValueError("document_type order cannot be booked: set booking to off")
        return self

    def states_acted_on(self) -> frozenset[OrderStatus]:
        """Return the order states that make the hub transfer the order to e-conomic."""
        states = set(self.transfer_states)
        if self.booking == "on_states":
            states |= set(self.book_states)
        return frozenset(states)

    def books_in(self, status: OrderStatus) -> bool:
        """Return whether an order in `status` gets its invoice booked."""
        if self.booking == "on_transfer":
            return True
        return self.booking == "on_states" and status in self.book_states
