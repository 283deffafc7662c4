"""A connection's product import settings: the source, field sources, grouping and switches."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
SourceField = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A dotted path into a source record (`inventory.grossWeight`), or `description.<key>`."""

UpdatableField = Literal[
    "name",
    "ean",
    "price",
    "cost_price",
    "unit",
    "weight_kg",
    "package_volume_litres",
    "abv",
    "volume_litres",
    "packaging_type",
    "excise_category",
    "deposit_class",
]
"""Fields an update may overwrite. `price` covers both prices, the VAT rate and the currency."""

ALL_UPDATABLE_FIELDS: list[UpdatableField] = [
    "name",
    "ean",
    "price",
    "cost_price",
    "unit",
    "weight_kg",
    "package_volume_litres",
    "abv",
    "volume_litres",
    "packaging_type",
    "excise_category",
    "deposit_class",
]


class StrictSettings(BaseModel):
    """Settings reject unknown keys, so a misspelt option or an inline secret is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSources(StrictSettings):
    """Where each Bemakers product field comes from in the source's records.

    A field left out takes the source's default (see `hub.sources`); `""` turns a default off.
    `description.<key>` reads a `key: value` line of a free-text description, which is where
    e-conomic, whose REST API has no custom product fields, can carry drink data.
    """

    sku: SourceField | None = None
    name: SourceField | None = None
    ean: SourceField | Literal[""] | None = None
    price: SourceField | None = None
    cost_price: SourceField | Literal[""] | None = None
    unit: SourceField | Literal[""] | None = None
    weight_kg: SourceField | Literal[""] | None = None
    package_volume_litres: SourceField | Literal[""] | None = None
    abv: SourceField | Literal[""] | None = None
    volume_litres: SourceField | Literal[""] | None = None
    packaging_type: SourceField | Literal[""] | None = None
    excise_category: SourceField | Literal[""] | None = None
    deposit_class: SourceField | Literal[""] | None = None
    barred: SourceField | Literal[""] | None = None
    """A boolean field that marks a product the source no longer sells."""


class Grouping(StrictSettings):
    """How flat source records are grouped into products with variants.

    `none`: every record is a product of its own. `sku_prefix`: a SKU with `separator` in it
    is a variant of the product whose SKU is the part before the first separator
    (`IPA-33CL` and `IPA-50CL` are variants of `IPA`). A record whose SKU is that prefix is
    the product itself and gives it its name. Without one, the product is named after the
    words its variants' names share.
    """

    rule: Literal["none", "sku_prefix"] = "none"
    separator: Annotated[str, StringConstraints(min_length=1, max_length=5)] = "-"


ProductSourceName = Literal["economic", "ongoing", "zettle"]


class ProductImportSettings(StrictSettings):
    source: ProductSourceName
    """The system with the product master data: e-conomic products, Ongoing articles or the Zettle
    product library. The connection must have that system's settings."""
    vat_rate: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(25)
    """VAT in percent that Bemakers prices include. Added to net prices, or taken out of gross ones."""
    currency: CurrencyCode = "DKK"
    """Currency of the source's prices."""

    create_missing: bool = True
    """Create products and variants that Bemakers lacks."""
    update_existing: bool = True
    """Update products and variants that Bemakers has, limited to `update_fields`."""
    update_fields: list[UpdatableField] = ALL_UPDATABLE_FIELDS
    """The fields an update may overwrite; the others keep what Bemakers has."""
    deactivate_removed: bool = False
    """Deactivate a product or variant that is barred or deleted in the source. Nothing is deleted."""
    full_read_hours: Annotated[int, Field(ge=1, le=168)] = 24
    """For a source with a change feed (Ongoing): hours between two reads of the whole catalogue.
    Only a whole read finds deleted products, so a deletion reaches Bemakers within this time."""

    grouping: Grouping = Grouping()
    """Rule that groups e-conomic products and Ongoing articles into products with variants. Zettle
    products carry their own variants, so only `separator` applies to them (see `hub.sources.zettle`)."""
    fields: FieldSources = FieldSources()
    exclude_skus: list[str] = []
    """SKUs never imported, such as deposit products. e-conomic's special-line SKUs are always left out."""
    product_groups: list[Annotated[int, Field(ge=1)]] = []
    """e-conomic only: import products of these product groups. Empty imports every group."""

    @model_validator(mode="after")
    def _check_fields(self) -> ProductImportSettings:
        if len(set(self.update_fields)) != len(self.update_fields):
            raise ValueError("update_fields lists a field twice")
        return self
