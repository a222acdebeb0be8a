"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_params


@pytest.fixture
def tiny_params(tmp_path: Path) -> Path:
    return write_params(tmp_path)
