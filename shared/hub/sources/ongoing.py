"""Ongoing WMS articles as a product source.

The full catalogue is read page by page by ascending `articleSystemId` (`articleSystemIdFrom`
and `maxArticlesToGet`). Changes are read with `articleDataLastUpdatedFrom`, so the source has
a change feed. A deleted article never shows up in that feed, so the product import still reads
the whole catalogue every `full_read_hours` to find deletions.

Ongoing's article has no sales price marked as including or excluding VAT. The default mapping
takes `customerPrice` as a price without VAT, like e-conomic's `salesPrice`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.connectors.ongoing import OngoingClient
from hub.sources.base import SourceItem, description_attributes, flatten

NAME = "ongoing"
INACTIVE = "hub.inactive"
"""Derived attribute: true when Ongoing marks the article as not active (`isActive: false`)."""
VOLUME_LITRES = "hub.volumeLitres"
"""Derived attribute: the article's `volume` converted from cubic metres to litres."""
LITRES_PER_CUBIC_METRE = Decimal(1000)

# NOTE: the vendor's example requests give `weight` and `volume` without units. The defaults
# read weight as kilograms and volume as cubic metres. A warehouse that records other units
# can map other fields, e.g. `package_volume_litres: volume` for a volume kept in litres.
DEFAULT_FIELDS = {
    "sku": "articleNumber",
    "name": "articleName",
    "ean": "barCodeInfo.barCode",
    "price": "customerPrice",
    "cost_price": "purchasePrice",
    "unit": "unitCode",
    "weight_kg": "weight",
    "package_volume_litres": VOLUME_LITRES,
    "barred": INACTIVE,
}


class OngoingProductSource:
    name = NAME
    prices_include_vat = False
    """The default price field, `customerPrice`, is read as a price without VAT."""
    default_fields: Mapping[str, str] = DEFAULT_FIELDS
    supports_changes = True

    # NOTE: `ongoing.article_skus` renames and limits articles for the stock flows only. The
    # product import reads every article under its own article number.
    def __init__(self, client: OngoingClient) -> None:
        self._client = client

    def read_catalogue(self) -> Iterator[SourceItem]:
        for record in self._client.article_records():
            yield to_source_item(record)

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        for record in self._client.article_records(updated_from=since):
            yield to_source_item(record)


def to_source_item(record: Mapping[str, Any]) -> SourceItem:
    """Turn one article as Ongoing returns it into a source record, with the derived attributes."""
    attributes = flatten(record) | description_attributes(record.get("description"))
    attributes[INACTIVE] = record.get("isActive") is False
    volume = record.get("volume")
    if volume is not None and not isinstance(volume, bool):
        try:
            attributes[VOLUME_LITRES] = Decimal(str(volume)) * LITRES_PER_CUBIC_METRE
        except InvalidOperation:
            # Left as it is, so that the mapping skips the article and names the field.
            attributes[VOLUME_LITRES] = volume
    return SourceItem(source_id=str(record["articleSystemId"]), attributes=attributes)
