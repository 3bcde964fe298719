"""End-to-end runs reuse the integration fixtures (the real broker)."""

from __future__ import annotations

import pytest

from streams.broker import BrokerPaths, start


@pytest.fixture(scope="session")
def bootstrap() -> str:
    return start(BrokerPaths.from_env())
