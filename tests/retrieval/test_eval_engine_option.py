"""``eval.engine``: ``unreid evaluate`` extracts the query and the gallery with the engine it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from unreid.cli.main import main
from unreid.engine import onnx_inference


@pytest.mark.parametrize("engine, onnxruntime_passes", [("torch", []), ("onnxruntime", [4, 16])])
def test_eval_engine_picks_the_engine_of_each_pass(tiny_checkpoint: Path, eval_root: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                   engine: str, onnxruntime_passes: list[int]) -> None:
    passes: list[int] = []
    original = onnx_inference.onnxruntime_features

    def spy(model: nn.Module, pixels: torch.Tensor, **kwargs: object) -> torch.Tensor:
        passes.append(pixels.shape[0])
        return original(model, pixels, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(onnx_inference, "onnxruntime_features", spy)
    assert main(["evaluate", str(tiny_checkpoint), "--set", f"data.root={eval_root}", "--set", "train.device=cpu",
                 "--set", "train.amp=none", "--set", f"eval.engine={engine}"]) == 0
    assert passes == onnxruntime_passes  # 4 queries, then 16 gallery crops
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["queries_evaluated"] == 4
