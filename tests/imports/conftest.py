"""The imports tests' one marker: `slow`, the 10,000-row import (about a minute)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long test (the 10,000-row import)")
