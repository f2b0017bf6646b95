"""Shared test settings: deterministic, quiet, CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def market_dev_root() -> Path:
    root = SHARED_DATA / "market1501-dev"
    if not (root / "bounding_box_train").is_dir():
        pytest.skip(f"real Market-1501 dev split not found at {root} (../shared/data is provided beside the checkout)")
    return root
