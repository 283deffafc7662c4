"""Zettle's JSON shapes that the hub reads: OAuth tokens, Product Library products, inventory balances.

Products follow the vendor's Product Library OpenAPI (`ProductResponse`, `VariantDTO`), copied into
tests/contract/zettle. NOTE: the Inventory API has no OpenAPI file at hand, so the location,
balance and movement shapes here are assumptions modelled on the vendor's prose documentation
(`PUT /organizations/self/inventory` with `changes` and `externalUuid`, locations of type STORE,
SOLD, BIN and SUPPLIER). Check them against https://inventory.izettle.com/swagger before go-live.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

LocationType = Literal["STORE", "SOLD", "BIN", "SUPPLIER"]


class ZettleModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True)


class AccessToken(BaseModel):
    """The OAuth token endpoint's answer (RFC 6749 field names)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str = Field(min_length=1)
    expires_in: int = Field(gt=0)
    """Lifetime in seconds."""


class Variant(ZettleModel):
    uuid: str
    sku: str | None = None
    name: str | None = None


class Product(ZettleModel):
    uuid: str
    name: str
    variants: list[Variant]


class Location(ZettleModel):
    uuid: str
    type: LocationType


class VariantBalance(ZettleModel):
    product_uuid: str
    variant_uuid: str
    balance: Decimal


class LocationBalances(ZettleModel):
    """The balances of one location. Variants with a zero balance may be left out of `variants`."""

    location_uuid: str
    tracked_products: list[str] = []
    """Products whose inventory Zettle tracks. Untracked products have no balance at all."""
    variants: list[VariantBalance] = []
