"""The product sync table's store: records buffered and written 25 per batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.product_sync import WRITE_BATCH_SIZE, ProductSyncStore
from hub.runtime import get_runtime
from hubctl.local import LocalHub

CONNECTION = "shop"


@pytest.fixture
def store() -> Iterator[ProductSyncStore]:
    local = LocalHub()
    local.start()
    yield ProductSyncStore(get_runtime().settings.product_sync_table)
    local.stop()


def _put(store: ProductSyncStore, sku: str, content_hash: str = "hash-1") -> None:
    store.put(
        CONNECTION,
        sku=sku,
        kind="product",
        product_sku=sku,
        in_bemakers=True,
        content_hash=content_hash,
        active=True,
    )


def test_full_batch_is_written_at_once(store: ProductSyncStore) -> None:
    for number in range(WRITE_BATCH_SIZE + 3):
        _put(store, f"SKU-{number}")
    assert len(store.load(CONNECTION)) == WRITE_BATCH_SIZE


def test_flush_writes_the_rest(store: ProductSyncStore) -> None:
    for number in range(WRITE_BATCH_SIZE + 3):
        _put(store, f"SKU-{number}")
    store.flush()
    assert len(store.load(CONNECTION)) == WRITE_BATCH_SIZE + 3


def test_later_record_of_a_sku_wins(store: ProductSyncStore) -> None:
    _put(store, "SKU-1", "hash-1")
    _put(store, "SKU-1", "hash-2")
    store.flush()
    assert store.load(CONNECTION)["SKU-1"].content_hash == "hash-2"


def test_flush_without_records_writes_nothing(store: ProductSyncStore) -> None:
    store.flush()
    assert store.load(CONNECTION) == {}
