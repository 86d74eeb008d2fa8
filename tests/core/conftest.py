"""Fixtures of the Qt-free core tests: a trading world (real simulator, frozen market) per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.trading_world import TradingWorld, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TradingWorld]:
    w = make_world(Path(tmp_path_factory.mktemp("trading-world")))
    yield w
    w.close()
