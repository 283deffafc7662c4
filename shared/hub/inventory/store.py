"""The stock levels last pushed to Bemakers, per connection, SKU and location, in the ledger table.

Items: `pk = {connection}#stock#{sku}`, `sk = location#{location}`, with the quantity and the
time it was pushed. They have no `expires_at`, so TTL keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hub.aws import dynamodb_resource, dynamodb_table

# BatchGetItem takes at most 100 keys per request.
_BATCH_GET_LIMIT = 100
_MAX_UNPROCESSED_ROUNDS = 5


def _key(connection_id: str, sku: str, location: str) -> dict[str, str]:
    return {"pk": f"{connection_id}#stock#{sku}", "sk": f"location#{location}"}


class PushedLevels:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def get_many(self, connection_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
        """Return the last pushed quantity of each (SKU, location) that has one."""
        unique = list(dict.fromkeys(keys))
        found: dict[tuple[str, str], Decimal] = {}
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            chunk = unique[start : start + _BATCH_GET_LIMIT]
            request: dict[str, Any] = {
                self._table_name: {
                    "Keys": [_key(connection_id, sku, location) for sku, location in chunk],
                    "ConsistentRead": True,
                }
            }
            for _ in range(_MAX_UNPROCESSED_ROUNDS):
                response = dynamodb_resource().batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self._table_name, []):
                    found[(str(item["sku"]), str(item["location"]))] = Decimal(item["quantity"])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after repeated BatchGetItem requests")
        return found

    def put_many(self, connection_id: str, levels: Sequence[tuple[str, str, Decimal]]) -> None:
        """Remember (SKU, location, quantity) as pushed."""
        pushed_at = datetime.now(UTC).isoformat(timespec="seconds")
        with dynamodb_table(self._table_name).batch_writer() as batch:
            for sku, location, quantity in levels:
                batch.put_item(
                    Item={
                        **_key(connection_id, sku, location),
                        "sku": sku,
                        "location": location,
                        "quantity": quantity,
                        "pushed_at": pushed_at,
                    }
                )
