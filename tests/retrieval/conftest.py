from __future__ import annotations

from pathlib import Path

import pytest
from tiny_world import one_torch_thread, save_tiny_checkpoint, write_market_folder

_one_torch_thread = pytest.fixture(autouse=True, scope="module")(one_torch_thread)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_checkpoint(tmp_path_factory.mktemp("model") / "model.pth")


@pytest.fixture(scope="session")
def eval_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Market-1501-style root with only query/ (camera c1) and bounding_box_test/ (c2, c3)."""
    root = tmp_path_factory.mktemp("market_eval")
    write_market_folder(root / "query", persons=4, cameras=1, shots=1)
    write_market_folder(root / "bounding_box_test", persons=4, cameras=2, shots=2, first_camera=1)
    return root
