"""Mapping from a product source's records to Bemakers products, variants and their updates.

Each record is read through the connection's field sources, checked, and grouped into
products with variants. A record that cannot be mapped is skipped with the SKU and the
source field at fault, and the others go on.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from hub.models.bemakers import PRICE_FIELDS, Product, ProductDetails, ProductUpdate, Variant
from hub.product_settings import ProductImportSettings, UpdatableField
from hub.sources.base import ProductSource, SourceItem

CENT = Decimal("0.01")
_TEXT_FIELDS = ("unit", "packaging_type", "excise_category")
_NUMBER_FIELDS = ("cost_price", "weight_kg", "package_volume_litres", "abv", "volume_litres")
_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0", ""})


@dataclass(frozen=True)
class SkippedRecord:
    """A source record that was not imported, and why. `field` names the source field at fault."""

    source_id: str
    sku: str | None
    reason: str
    field: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The source's catalogue as Bemakers products, and the records that could not be mapped."""

    products: list[Product]
    skipped: list[SkippedRecord]
    source_skus: frozenset[str]
    """Every SKU the source still holds, skipped and excluded ones included, and each product's SKU."""
    excluded: int = 0


class _Unmappable(Exception):
    def __init__(self, reason: str, source_field: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source_field = source_field


@dataclass
class _Group:
    parent: SourceItem | None = None
    variants: list[tuple[str, SourceItem]] = field(default_factory=list)
    name: str | None = None
    """The product's name when the source groups its variants itself."""


def field_sources(settings: ProductImportSettings, source: ProductSource) -> dict[str, str]:
    """Return the source field of each Bemakers field: the source's defaults, then the connection's."""
    sources = dict(source.default_fields)
    for name, value in settings.fields.model_dump(exclude_none=True).items():
        if value == "":
            sources.pop(name, None)
        else:
            sources[name] = value
    return sources


def to_bemakers_catalogue(
    items: Iterable[SourceItem], settings: ProductImportSettings, source: ProductSource
) -> Catalogue:
    """Map the source's records to Bemakers products, grouping variants under their product.

    A record whose source names its product joins that product. Any other record is grouped
    by the connection's `grouping` rule.
    """
    sources = field_sources(settings, source)
    excluded_skus = frozenset(settings.exclude_skus)
    skipped: list[SkippedRecord] = []
    keyed: list[tuple[str, SourceItem]] = []
    excluded = 0

    for item in items:
        sku = _text(item.attributes, sources.get("sku"))
        if sku is None:
            skipped.append(SkippedRecord(item.source_id, None, "SKU is missing", sources.get("sku")))
        elif sku in excluded_skus:
            excluded += 1
        keyed.append((sku or "", item))

    counts = Counter(sku for sku, _ in keyed if sku)
    groups: dict[str, _Group] = defaultdict(_Group)
    for sku, item in keyed:
        if not sku or sku in excluded_skus:
            continue
        if counts[sku] > 1:
            skipped.append(SkippedRecord(item.source_id, sku, "duplicate SKU", sources.get("sku")))
            continue
        if item.product is not None:
            groups[item.product.sku].variants.append((sku, item))
            groups[item.product.sku].name = item.product.name
            continue
        product_sku, is_variant = _group_key(sku, settings)
        if is_variant:
            groups[product_sku].variants.append((sku, item))
        else:
            groups[product_sku].parent = item

    products: list[Product] = []
    for product_sku in sorted(groups):
        product = _to_product(product_sku, groups[product_sku], sources, settings, source, skipped)
        if product is not None:
            products.append(product)

    source_skus = frozenset(sku for sku in counts) | frozenset(groups)
    return Catalogue(products=products, skipped=skipped, source_skus=source_skus, excluded=excluded)


def _group_key(sku: str, settings: ProductImportSettings) -> tuple[str, bool]:
    """Return the SKU of the product the record belongs to, and whether the record is a variant of it."""
    separator = settings.grouping.separator
    if settings.grouping.rule == "sku_prefix" and separator in sku:
        prefix = sku.split(separator, 1)[0].strip()
        if prefix:
            return prefix, True
    return sku, False


def _to_product(
    product_sku: str,
    group: _Group,
    sources: Mapping[str, str],
    settings: ProductImportSettings,
    source: ProductSource,
    skipped: list[SkippedRecord],
) -> Product | None:
    """Build one product from its group, or None when none of its records can be mapped."""
    variants: list[Variant] = []
    for sku, item in sorted(group.variants, key=lambda pair: pair[0]):
        try:
            variants.append(Variant(sku=sku, **_read_item(item, sources, settings, source)))
        except _Unmappable as error:
            skipped.append(SkippedRecord(item.source_id, sku, error.reason, error.source_field))
        except ValidationError as error:
            reason, source_field = _validation_reason(error, sources)
            skipped.append(SkippedRecord(item.source_id, sku, reason, source_field))

    parent = group.parent
    try:
        if parent is not None and not variants:
            return Product(sku=product_sku, **_read_item(parent, sources, settings, source))
        if not variants:
            return None
        if parent is not None:
            name = _text(parent.attributes, sources.get("name"))
            if name is None:
                raise _Unmappable("name is missing", sources.get("name"))
            active = not _barred(parent.attributes, sources.get("barred"))
        else:
            name = group.name or _shared_name([variant.name for variant in variants])
            active = any(variant.active for variant in variants)
        return Product(sku=product_sku, name=name, active=active, variants=variants)
    except _Unmappable as error:
        source_id = parent.source_id if parent is not None else product_sku
        skipped.append(SkippedRecord(source_id, product_sku, error.reason, error.source_field))
    except ValidationError as error:
        source_id = parent.source_id if parent is not None else product_sku
        reason, source_field = _validation_reason(error, sources)
        skipped.append(SkippedRecord(source_id, product_sku, reason, source_field))
    return None


def _read_item(
    item: SourceItem, sources: Mapping[str, str], settings: ProductImportSettings, source: ProductSource
) -> dict[str, Any]:
    """Read one record's Bemakers fields, except its SKU. Raises _Unmappable naming the source field."""
    attributes = item.attributes
    name = _text(attributes, sources.get("name"))
    if name is None:
        raise _Unmappable("name is missing", sources.get("name"))
    price = _number(attributes, sources.get("price"))
    if price is None:
        raise _Unmappable("price is missing", sources.get("price"))

    values: dict[str, Any] = {
        "name": name,
        "active": not _barred(attributes, sources.get("barred")),
        **_prices(price, settings, prices_include_vat=source.prices_include_vat),
        "ean": _text(attributes, sources.get("ean")),
        "deposit_class": _deposit_class(attributes, sources.get("deposit_class")),
    }
    for name_of_field in _TEXT_FIELDS:
        values[name_of_field] = _text(attributes, sources.get(name_of_field))
    for name_of_field in _NUMBER_FIELDS:
        values[name_of_field] = _number(attributes, sources.get(name_of_field))
    return values


def _prices(price: Decimal, settings: ProductImportSettings, *, prices_include_vat: bool) -> dict[str, Any]:
    """Return both prices. The one the source lacks is computed with the connection's VAT rate."""
    factor = 1 + settings.vat_rate / 100
    if prices_include_vat:
        incl_vat = price
        excl_vat = (price / factor).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        excl_vat = price
        incl_vat = (price * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "price_excl_vat": excl_vat,
        "price_incl_vat": incl_vat,
        "vat_rate": settings.vat_rate,
        "currency": settings.currency,
    }


def _shared_name(names: list[str]) -> str:
    """Return the leading words all names share (`Hoppy IPA` of `Hoppy IPA 33 cl` and `Hoppy IPA 50 cl`).

    Falls back to the first name when they share no word.
    """
    word_lists = [name.split() for name in names]
    shared: list[str] = []
    for words in zip(*word_lists, strict=False):
        if any(word != words[0] for word in words):
            break
        shared.append(words[0])
    return " ".join(shared) if shared else names[0]


def _validation_reason(error: ValidationError, sources: Mapping[str, str]) -> tuple[str, str | None]:
    """Describe the first failing Bemakers field in terms of the source field it came from."""
    detail = error.errors()[0]
    location = [str(part) for part in detail["loc"]]
    bemakers_field = location[0] if location else ""
    source_name = "price" if bemakers_field in PRICE_FIELDS else bemakers_field
    return f"{bemakers_field or 'record'} is invalid: {detail['msg']}", sources.get(source_name)


# -- reading source values ---------------------------------------------------------------------


def _value(attributes: Mapping[str, Any], source_field: str | None) -> Any:
    if source_field is None:
        return None
    if source_field.startswith("description."):
        return attributes.get(source_field.lower())
    return attributes.get(source_field)


def _text(attributes: Mapping[str, Any], source_field: str | None) -> str | None:
    value = _value(attributes, source_field)
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _number(attributes: Mapping[str, Any], source_field: str | None) -> Decimal | None:
    """Read a decimal; a text value may use a decimal comma (`6,5`) and a trailing `%`."""
    value = _value(attributes, source_field)
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().removesuffix("%").strip()
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Unmappable(f"{text!r} is not a number", source_field) from None
    if not number.is_finite():
        raise _Unmappable(f"{text!r} is not a number", source_field)
    return number


def _barred(attributes: Mapping[str, Any], source_field: str | None) -> bool:
    value = _value(attributes, source_field)
    if value is None or isinstance(value, bool):
        return bool(value)
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _Unmappable(f"{value!r} is neither true nor false", source_field)


def _deposit_class(attributes: Mapping[str, Any], source_field: str | None) -> str | None:
    text = _text(attributes, source_field)
    if text is None:
        return None
    return text.upper() if len(text) == 1 else text.lower()


# -- updates and content hashes ----------------------------------------------------------------


def update_for(item: Product | Variant, update_fields: Iterable[UpdatableField]) -> ProductUpdate:
    """Return the update that brings Bemakers to `item`, limited to the fields an update may overwrite.

    `active` is left out: deactivation has its own switch. A product with variants carries
    only its name, because Bemakers sells it through its variants.
    """
    allowed = set(update_fields)
    names: list[str] = []
    if "name" in allowed:
        names.append("name")
    if not (isinstance(item, Product) and item.variants):
        for field_name in sorted(allowed - {"name"}):
            names.extend(PRICE_FIELDS if field_name == "price" else [field_name])
    return ProductUpdate(**{name: getattr(item, name) for name in names})


def content_hash(update: ProductDetails) -> str:
    """Return a SHA-256 of the fields set in `update`, equal for equal values (`70` and `70.00` too)."""
    values = {name: _canonical(getattr(update, name)) for name in sorted(update.model_fields_set)}
    encoded = json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        normalized = value.normalize()
        return format(normalized if normalized != 0 else Decimal(0), "f")
    return value
