"""e-conomic products as a product source.

e-conomic's legacy REST API lists products with offset paging. It has a `lastUpdated`
filter, but a deleted product never shows up in it, so the source reads the whole
catalogue on every run and the import compares each SKU's content hash instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from hub.connectors.economic import EconomicClient
from hub.economic_settings import EconomicSettings
from hub.product_settings import ProductImportSettings
from hub.sources.base import SourceItem, description_attributes, flatten

NAME = "economic"

# NOTE: e-conomic's docs give no unit for grossWeight and packageVolume. The defaults read
# them as kilograms and litres; a connection whose agreement differs maps other fields.
DEFAULT_FIELDS = {
    "sku": "productNumber",
    "name": "name",
    "ean": "barCode",
    "price": "salesPrice",
    "cost_price": "costPrice",
    "unit": "unit.name",
    "weight_kg": "inventory.grossWeight",
    "package_volume_litres": "inventory.packageVolume",
    "barred": "barred",
}


class EconomicProductSource:
    name = NAME
    prices_include_vat = False
    """e-conomic's `salesPrice` excludes VAT."""
    default_fields: Mapping[str, str] = DEFAULT_FIELDS
    supports_changes = False

    def __init__(
        self, client: EconomicClient, settings: ProductImportSettings, economic: EconomicSettings
    ) -> None:
        self._client = client
        self._groups = frozenset(settings.product_groups)
        # The hub itself creates these products for shipping, fee, discount, rounding and
        # refund lines of orders. They are bookkeeping entries, not products to sell.
        self._special_skus = frozenset(
            {
                economic.shipping_sku,
                economic.shipping_exempt_sku,
                economic.fee_sku,
                economic.discount_sku,
                economic.rounding_sku,
                economic.refund_sku,
            }
        )

    def read_catalogue(self) -> Iterator[SourceItem]:
        for product in self._client.list_products():
            number = str(product.get("productNumber", ""))
            if number in self._special_skus:
                continue
            group = product.get("productGroup", {}).get("productGroupNumber")
            if self._groups and group not in self._groups:
                continue
            attributes = flatten(product) | description_attributes(product.get("description"))
            yield SourceItem(source_id=number, attributes=attributes)

    def read_changes(self, since: datetime) -> Iterator[SourceItem]:
        raise NotImplementedError("e-conomic products are read in full; see supports_changes")
