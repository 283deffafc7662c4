"""The inventory benchmark of `hubctl bench` on a small catalogue: only changed levels reach Bemakers.

The counts do not depend on timing, so they are asserted here. No test measures or asserts a
time. `test_inventory_import.py` covers an unchanged catalogue, which sends no request.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubctl.bench import inventory
from hubctl.bench.aws_calls import AwsCallRecorder

SKUS = 2_000
"""Four pages of the Ongoing stock source, so the changes are spread over several pages."""
CHANGED = SKUS // 100


@pytest.fixture(scope="module")
def figures() -> Iterator[inventory.InventoryFigures]:
    recorder = AwsCallRecorder().install()
    try:
        yield inventory.measure(recorder, skus=SKUS, changed=CHANGED, comparison_runs=1)
    finally:
        recorder.uninstall()


def test_first_import_writes_every_sku(figures: inventory.InventoryFigures) -> None:
    assert figures.first.levels_received == SKUS


def test_changed_skus_are_the_only_writes(figures: inventory.InventoryFigures) -> None:
    assert figures.second.levels_received == CHANGED


def test_timed_comparison_finds_the_changes(figures: inventory.InventoryFigures) -> None:
    assert figures.comparison_changed == CHANGED
