"""The Zettle product library as a product source.

Every run reads the whole library (`GET /organizations/self/library`, paged by its `Link`
header), so a product deleted in Zettle is found missing and can be deactivated. The library's
`eventLogUuid` delta is not used: the hub's cursors store times, not event ids, and a library
read costs one request per 500 products.

Each Zettle variant is one source record. A product with one variant becomes a Bemakers
product of its own, with the variant's SKU. A product with several variants becomes a Bemakers
product with those variants. Its SKU is the part of the variant SKUs before the first
`grouping.separator` when all of them share it (`IPA` for `IPA-33CL` and `IPA-50CL`), else the
Zettle product uuid, so that the product keeps one SKU while its variants change.

Zettle prices include VAT and are whole minor units (`4500` is 45.00 DKK). They are turned
into exact decimals here. NOTE: the hub takes VAT out with the connection's `vat_rate`, not the
product's own `vatPercentage`, so a library with several VAT rates needs one rate per connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.connectors.zettle import ZettleClient
from hub.observability import logger
from hub.product_settings import ProductImportSettings
from hub.sources.base import SourceItem, SourceProduct, flatten

NAME = "zettle"
NAME_FIELD = "hub.name"
"""Derived attribute: the variant's display name, the product name followed by the variant's own."""
PRICE_FIELD = "hub.price"
"""Derived attribute: `price.amount` in major units, as a Decimal."""
COST_PRICE_FIELD = "hub.costPrice"
"""Derived attribute: `costPrice.amount` in major units, as a Decimal."""
WEIGHT_FIELD = "hub.weightKg"
"""Derived attribute: the product's `online.shipping.weightInGrams` in kilograms."""
GRAMS_PER_KILOGRAM = Decimal(1000)

# Digits after the decimal point of each currency's minor unit (ISO 4217) where it is not 2.
# NOTE: Zettle's OpenAPI types amounts as int64 and gives no exponent, so ISO 4217's is assumed.
_MINOR_UNIT_DIGITS = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"], 0
    ),
    **dict.fromkeys(["XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}

DEFAULT_FIELDS = {
    "sku": "sku",
    "name": NAME_FIELD,
    "ean": "barcode",
    "price": PRICE_FIELD,
    "cost_price": COST_PRICE_FIELD,
    "unit": "product.unitName",
    "weight_kg": WEIGHT_FIELD,
}


class ZettleProductSource:
    name = NAME
    prices_include_vat = True
    """Zettle's variant prices are what the customer pays at the till, VAT included."""
    default_fields: Mapping[str, str] = DEFAULT_FIELDS
    supports_changes = False

    def __init__(self, client: ZettleClient, settings: ProductImportSettings) -> None:
        self._client = client
        self._settings = settings

    def read_catalogue(self) -> Iterator[SourceItem]:
        for product in self._client.library_products():
            yield from to_source_items(product, self._settings)

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        raise NotImplementedError("the Zettle library is read in full; see supports_changes")


def to_source_items(product: Mapping[str, Any], settings: ProductImportSettings) -> list[SourceItem]:
    """Turn one library product into one source record per variant."""
    variants: list[Mapping[str, Any]] = product.get("variants") or []
    product_name = str(product.get("name") or "").strip()
    product_attributes = flatten(product, "product.")
    grams = product_attributes.get("product.online.shipping.weightInGrams")
    group = None
    if len(variants) > 1:
        group = SourceProduct(sku=product_sku(product, settings.grouping.separator), name=product_name)

    items = []
    for variant in variants:
        attributes: dict[str, Any] = {**product_attributes, **flatten(variant)}
        attributes[NAME_FIELD] = variant_name(product_name, variant) if group else product_name
        attributes[PRICE_FIELD] = _major_units(variant.get("price"), settings, variant)
        attributes[COST_PRICE_FIELD] = _major_units(variant.get("costPrice"), settings, variant)
        if isinstance(grams, int) and not isinstance(grams, bool):
            attributes[WEIGHT_FIELD] = Decimal(grams) / GRAMS_PER_KILOGRAM
        items.append(SourceItem(source_id=str(variant["uuid"]), attributes=attributes, product=group))
    return items


def product_sku(product: Mapping[str, Any], separator: str) -> str:
    """Return the Bemakers SKU of a product with several variants: their shared prefix, or the uuid."""
    skus = [str(variant.get("sku") or "").strip() for variant in product.get("variants") or []]
    prefixes = {sku.split(separator, 1)[0].strip() for sku in skus if separator in sku}
    if len(prefixes) == 1 and all(separator in sku for sku in skus):
        (prefix,) = prefixes
        if prefix:
            return prefix
    return str(product["uuid"])


def variant_name(product_name: str, variant: Mapping[str, Any]) -> str:
    """Return the product name followed by the variant's own name or option values (`Hoppy IPA 33 cl`)."""
    own = str(variant.get("name") or "").strip()
    if not own:
        own = " ".join(str(option.get("value", "")).strip() for option in variant.get("options") or [])
        own = own.strip()
    if not own:
        return product_name
    if own.casefold().startswith(product_name.casefold()):
        return own
    return f"{product_name} {own}"


def _major_units(price: Any, settings: ProductImportSettings, variant: Mapping[str, Any]) -> Decimal | None:
    """Return a Zettle `Price` in major units, or None when the variant has none or another currency."""
    if not isinstance(price, Mapping):
        return None
    amount = price.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        return None
    currency = str(price.get("currencyId", ""))
    if currency != settings.currency:
        logger.warning(
            "Zettle price left out: its currency is not the connection's",
            variant_uuid=str(variant.get("uuid")),
            currency=currency,
            expected_currency=settings.currency,
        )
        return None
    digits = _MINOR_UNIT_DIGITS.get(currency, 2)
    return Decimal(amount).scaleb(-digits)
