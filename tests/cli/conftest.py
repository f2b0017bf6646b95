"""Shared tiny runs for the CLI reliability tests: one synthetic set per session, 32x16 images."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_run import tiny_args

from unreid.data.synthetic import SyntheticConfig, make_synthetic_pedestrians


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data") / "synthetic"
    make_synthetic_pedestrians(root=root, config=SyntheticConfig(num_identities=20, seed=0))
    return root


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory, synthetic_root: Path) -> Path:
    """A completed tiny run (do not modify: copy it with :func:`copy_run`)."""
    from unreid.cli.main import main

    run = tmp_path_factory.mktemp("finished") / "run"
    assert main(tiny_args(run, synthetic_root)) == 0
    return run
