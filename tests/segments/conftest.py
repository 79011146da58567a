"""The hand-made shop on each backend pair."""

from __future__ import annotations

import pytest

from retain.settings import Settings
from tests.segments.shop import fill_shop


@pytest.fixture
def shop(environment: Settings) -> Settings:
    """``environment`` holding the shop."""
    fill_shop(environment)
    return environment
