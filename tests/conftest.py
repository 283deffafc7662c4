"""Shared fixtures: the demo environment (moto stack, Bemakers and e-conomic sandboxes, one connection)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubctl.demo import DemoEnvironment


@pytest.fixture
def environment() -> Iterator[DemoEnvironment]:
    """A fresh local stack per test, with the demo connection applied and nothing delivered yet."""
    with DemoEnvironment(log_level="INFO", metrics=True) as demo:
        yield demo
