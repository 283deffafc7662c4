"""The stock-master rule: one source per SKU when a connection has several stock sources."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from hub.connections import Connection

ONGOING = {
    "base_url": "https://api.ongoing.example/demo/api/v1",
    "secret_name": "bemakers-hub/test/ongoing",
    "locations": {"DK1": "main-warehouse"},
}
ZETTLE = {"secret_name": "bemakers-hub/test/zettle", "location": "taproom"}


def _connection(**blocks: Any) -> Connection:
    return Connection.model_validate(
        {"connection_id": "test-shop", "bemakers": {"secret_name": "bemakers-hub/test/bemakers"}, **blocks}
    )


def test_single_source_masters_every_sku() -> None:
    assert _connection(zettle=ZETTLE).stock_master("ANY-SKU") == "zettle"


def test_two_sources_need_a_default_master() -> None:
    with pytest.raises(ValidationError, match="stock_masters"):
        _connection(ongoing=ONGOING, zettle=ZETTLE)


def test_longest_prefix_names_the_master() -> None:
    connection = _connection(
        ongoing=ONGOING,
        zettle=ZETTLE,
        stock_masters={"": "ongoing", "TAP-": "zettle", "TAP-GUEST-": "ongoing"},
    )
    masters = [connection.stock_master(sku) for sku in ("IPA-33CL", "TAP-PALE", "TAP-GUEST-1")]
    assert masters == ["ongoing", "zettle", "ongoing"]


def test_master_must_be_a_configured_source() -> None:
    with pytest.raises(ValidationError, match="does not configure"):
        _connection(ongoing=ONGOING, stock_masters={"": "zettle"})


def test_zettle_secret_is_listed() -> None:
    assert "bemakers-hub/test/zettle" in _connection(zettle=ZETTLE).secret_names()
