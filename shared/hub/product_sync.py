"""Product sync state: per connection and SKU, what the hub last wrote to Bemakers.

Items in the product sync table (partition key `connection_id`, sort key `sku`), one per
product and per variant. The content hash covers the fields an update may overwrite, so an
unchanged record costs no request to Bemakers. A rejected write keeps the hash of what
Bemakers last accepted, so the next run tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hub.aws import dynamodb_table
from hub.ledger import TargetErrorRecord


class ProductSyncRecord(BaseModel):
    """Bemakers' state of one SKU, as the hub last recorded it."""

    model_config = ConfigDict(frozen=True)

    sku: str
    kind: Literal["product", "variant"]
    product_sku: str
    """The product's SKU; for a product, its own."""
    in_bemakers: bool
    """Whether Bemakers has the SKU: the hub created it, found it, or updated it."""
    content_hash: str | None = None
    """Hash of the updatable fields Bemakers last accepted; None before the first accepted write."""
    active: bool = True
    error: TargetErrorRecord | None = None
    """Reason the last write failed; None after a write that Bemakers accepted."""
    updated_at: str


# BatchWriteItem takes at most 25 items per request.
WRITE_BATCH_SIZE = 25


class ProductSyncStore:
    """Reads and writes the product sync table. `clock` returns epoch seconds; tests replace it.

    Writes are buffered and sent 25 items per BatchWriteItem request, so `flush` must follow
    the last `put` of a run. A record lost to a crash before the flush costs one write to
    Bemakers again on the next run, because the SKU then looks changed.
    """

    def __init__(self, table_name: str, *, clock: Callable[[], float] = time.time) -> None:
        self._table_name = table_name
        self._clock = clock
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}

    def load(self, connection_id: str) -> dict[str, ProductSyncRecord]:
        """Return every SKU's record of the connection, keyed by SKU."""
        table = dynamodb_table(self._table_name)
        query: dict[str, Any] = {
            "KeyConditionExpression": "connection_id = :connection",
            "ExpressionAttributeValues": {":connection": connection_id},
        }
        records: dict[str, ProductSyncRecord] = {}
        while True:
            response = table.query(**query)
            for item in response["Items"]:
                record = _record_from_item(item)
                records[record.sku] = record
            if "LastEvaluatedKey" not in response:
                return records
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put(
        self,
        connection_id: str,
        *,
        sku: str,
        kind: Literal["product", "variant"],
        product_sku: str,
        in_bemakers: bool,
        content_hash: str | None,
        active: bool,
        error: TargetErrorRecord | None = None,
    ) -> ProductSyncRecord:
        """Buffer one SKU's record, replacing the earlier one, and return it. Sends a full batch."""
        record = ProductSyncRecord(
            sku=sku,
            kind=kind,
            product_sku=product_sku,
            in_bemakers=in_bemakers,
            content_hash=content_hash,
            active=active,
            error=error,
            updated_at=datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="microseconds"),
        )
        item: dict[str, Any] = {"connection_id": connection_id, **record.model_dump(exclude_none=True)}
        if error is not None:
            item["error"] = error.model_dump(exclude_none=True)
        # A later record of the same SKU replaces the buffered one: a batch must not name a key twice.
        self._pending[(connection_id, sku)] = item
        if len(self._pending) >= WRITE_BATCH_SIZE:
            self.flush()
        return record

    def flush(self) -> None:
        """Write the buffered records. The batch writer sends again what DynamoDB leaves unprocessed."""
        if not self._pending:
            return
        items = list(self._pending.values())
        self._pending.clear()
        with dynamodb_table(self._table_name).batch_writer() as batch:
            for item in items:
                batch.put_item(Item=item)


def _record_from_item(item: dict[str, Any]) -> ProductSyncRecord:
    values = {key: value for key, value in item.items() if key != "connection_id"}
    if isinstance(values.get("error"), dict) and "status" in values["error"]:
        values["error"] = {**values["error"], "status": int(values["error"]["status"])}
    return ProductSyncRecord.model_validate(values)
