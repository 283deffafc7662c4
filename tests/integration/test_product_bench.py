"""The product benchmark of `hubctl bench` on a small catalogue: writes follow the changes.

The counts do not depend on timing, so they are asserted here. No test measures or asserts a
time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubctl.bench import products
from hubctl.bench.aws_calls import AwsCallRecorder

VARIANTS = 600
"""300 products of two variants each. 1 % of the variants, 6, change."""


@pytest.fixture(scope="module")
def figures() -> Iterator[products.ProductFigures]:
    recorder = AwsCallRecorder().install()
    try:
        yield products.measure(recorder, variants=VARIANTS)
    finally:
        recorder.uninstall()


def test_first_sync_creates_every_product(figures: products.ProductFigures) -> None:
    assert figures.first.bemakers_writes == VARIANTS // len(products.SIZES)


def test_unchanged_catalogue_sends_no_bemakers_write(figures: products.ProductFigures) -> None:
    assert figures.unchanged.bemakers_writes == 0


def test_unchanged_catalogue_writes_no_hash(figures: products.ProductFigures) -> None:
    assert figures.unchanged.dynamodb_writes == 0


def test_each_changed_variant_is_one_write(figures: products.ProductFigures) -> None:
    assert figures.after_change.bemakers_writes == figures.changed


def test_first_sync_writes_hashes_in_batches(figures: products.ProductFigures) -> None:
    skus = VARIANTS + VARIANTS // len(products.SIZES)
    assert figures.first.dynamodb_writes == -(-skus // 25)
