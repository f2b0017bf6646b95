from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retrieval"))  # the shared tiny_world helpers

from tiny_world import one_torch_thread

_one_torch_thread = pytest.fixture(autouse=True, scope="module")(one_torch_thread)
