"""Shared test settings: deterministic, quiet, CPU."""

from __future__ import annotations

from collections.abc import Callable
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


TINY_RUN = [
    "data.dataset=synthetic", "data.synthetic_identities=24", "data.height=32", "data.width=16",
    "model.backbone=resnet10t", "model.samples_per_bn=16",
    "cluster.k1=8", "cluster.k2=3", "cluster.min_samples=2", "cluster.eps=0.45",
    "train.epochs=2", "train.iterations=2", "train.num_identities=4", "train.num_instances=4",
    "train.device=cpu", "train.amp=none", "train.channels_last=false", "train.eval_every=1", "train.threads=1",
    "eval.batch_size=64", "eval.grid_queries=2", "generator.enabled=false",
]
"""A run of a few seconds on the synthetic set: the one tiny configuration of the end-to-end tests."""


@pytest.fixture
def tiny_run(tmp_path: Path) -> Callable[..., list[str]]:
    """``tiny_run(name, *more)``: ``--set`` overrides of :data:`TINY_RUN` into ``tmp_path/name`` (later ones win)."""

    def overrides(name: str, *more: str) -> list[str]:
        return [f"output_dir={tmp_path / name}", f"data.root={tmp_path / 'synthetic'}", *TINY_RUN, *more]

    return overrides
