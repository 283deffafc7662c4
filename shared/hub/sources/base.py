"""The interface every product source implements: e-conomic products, Ongoing articles and the
Zettle product library."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

_DESCRIPTION_LINE = re.compile(r"^\s*([^:=\n]+?)\s*[:=]\s*(.*?)\s*$")


@dataclass(frozen=True)
class SourceProduct:
    """The product that a source groups variants under itself, as Zettle does."""

    sku: str
    """The Bemakers SKU of the product, which the source derives from its variants."""
    name: str


@dataclass(frozen=True)
class SourceItem:
    """One product or variant as the source stores it, before mapping.

    `attributes` maps dotted paths (`inventory.grossWeight`) to scalar values, so that a
    connection names its source fields the same way for every source. `source_id` is the
    source's own key, which names a record that has no SKU. `product` is set when the source
    itself makes the record a variant of a product. The connection's `grouping` then does not
    apply to the record.
    """

    source_id: str
    attributes: Mapping[str, Any]
    product: SourceProduct | None = None


class ProductSource(Protocol):
    name: str
    """The source's name in settings and logs, e.g. `economic`."""
    prices_include_vat: bool
    """Whether the source's sales prices include VAT (Zettle) or not (e-conomic, Ongoing)."""
    default_fields: Mapping[str, str]
    """Source field of each Bemakers field when the connection names none."""
    supports_changes: bool
    """Whether `read_changes` works. Sources without a change feed are read in full every run."""

    def read_catalogue(self) -> Iterator[SourceItem]:
        """Yield every product the source holds, page by page. Barred products included."""
        ...

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        """Yield the products and variants changed at or after `since`.

        Called only when `supports_changes` is true. A variant may come without its unchanged
        siblings, so the import leaves an existing product's own name and state to the next
        full read. Deleted products are not yielded, so only a full read finds them.
        """
        ...


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested objects into dotted keys; lists are left out."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))
        elif not isinstance(value, list):
            flat[path] = value
    return flat


def description_attributes(description: str | None) -> dict[str, str]:
    """Read `key: value` (or `key=value`) lines of a description as `description.<key>`.

    Keys are lower-cased, so `ABV: 6.5` is `description.abv`. Lines without a separator are
    left out, and a later line wins over an earlier one with the same key.
    """
    attributes: dict[str, str] = {}
    for line in (description or "").splitlines():
        match = _DESCRIPTION_LINE.match(line)
        if match and match.group(2):
            attributes[f"description.{match.group(1).lower()}"] = match.group(2)
    return attributes
