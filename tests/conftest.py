"""Shared test settings: deterministic, quiet, CPU."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tiny_settings import TINY_SETTINGS, as_overrides

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


@pytest.fixture
def tiny_run(tmp_path: Path) -> Callable[..., list[str]]:
    """``tiny_run(name, *more)``: ``--set`` overrides of the tiny settings into ``tmp_path/name`` (later ones win)."""

    def overrides(name: str, *more: str) -> list[str]:
        return [f"output_dir={tmp_path / name}", f"data.root={tmp_path / 'synthetic'}", *as_overrides(TINY_SETTINGS),
                *more]

    return overrides


@pytest.fixture
def onnxruntime_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The image count of every onnxruntime pass (``onnx_inference.onnxruntime_features`` calls) in the test."""
    from unreid.engine import onnx_inference

    passes: list[int] = []
    original = onnx_inference.onnxruntime_features

    def spy(model: torch.nn.Module, pixels: torch.Tensor, **kwargs: object) -> torch.Tensor:
        passes.append(pixels.shape[0])
        return original(model, pixels, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(onnx_inference, "onnxruntime_features", spy)
    return passes


@pytest.fixture
def count_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[object, str], list[int]]:
    """``count_calls(owner, name)`` wraps ``owner.name`` for the test and returns the list that gets a ``1``
    for each call (the wrapped function still runs)."""

    def wrap(owner: object, name: str) -> list[int]:
        calls: list[int] = []
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
        return calls

    return wrap
