"""The official-format test files are what they claim to be (tests/helpers/official_files.py)."""

from __future__ import annotations

import pickle

import pytest

from tests.helpers.official_files import Booby


def test_booby_trap_fires_when_unpickled():
    with pytest.raises(AssertionError, match="unpickled"):
        pickle.loads(pickle.dumps(Booby()))
