"""auto's measured choice between torch and onnxruntime (unreid.engine.engine_choice)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
from torch import nn

from unreid.engine import engine_choice, onnx_inference
from unreid.engine.extract import extract_features
from unreid.engine.inference_engine import InferenceEngine
from unreid.models.embedding_model import build_embedding_model

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    onnx_inference.clear_session_cache()
    engine_choice.clear_engine_choices()
    yield
    engine_choice.clear_engine_choices()


def _model() -> nn.Module:
    torch.manual_seed(0)
    return build_embedding_model(backbone="resnet10t").eval()


def _pixels(n: int = 6) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def _timed(onnx_s: float, torch_s: float, log: list[str]) -> Callable[[int, Callable[[], object]], float]:
    """A stand-in for ``_best_of``: the first call times onnxruntime, the second torch."""

    def best_of(runs: int, work: Callable[[], object]) -> float:
        work()
        log.append("onnx" if len(log) % 2 == 0 else "torch")
        return onnx_s if log[-1] == "onnx" else torch_s

    return best_of


@pytest.mark.parametrize(("onnx_s", "torch_s", "expected"), [
    (1.0, 1.6, InferenceEngine.ONNXRUNTIME),  # 1.6x faster: worth an export per new weights
    (1.0, 1.4, InferenceEngine.TORCH),  # inside the margin: torch, no export on every pass
    (2.0, 1.0, InferenceEngine.TORCH),
])
def test_the_choice_follows_the_measurement_and_the_margin(monkeypatch: pytest.MonkeyPatch, onnx_s: float,
                                                           torch_s: float, expected: InferenceEngine) -> None:
    log: list[str] = []
    monkeypatch.setattr(engine_choice, "_best_of", _timed(onnx_s, torch_s, log))
    assert engine_choice.MARGIN == 1.5
    assert engine_choice.measured_engine(_model(), _pixels(), batch_size=4, channels_last=False) is expected
    assert log == ["onnx", "torch"]


def test_measured_once_per_network_and_input_size(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[str] = []
    monkeypatch.setattr(engine_choice, "_best_of", _timed(1.0, 3.0, log))
    model = _model()
    for _ in range(3):
        engine_choice.measured_engine(model, _pixels(), batch_size=4, channels_last=False)
    assert log == ["onnx", "torch"]
    wider = torch.zeros(4, 3, 32, 32, dtype=torch.uint8)
    engine_choice.measured_engine(model, wider, batch_size=4, channels_last=False)
    assert log == ["onnx", "torch"] * 2


def test_auto_extracts_with_the_chosen_engine_and_equals_torch(monkeypatch: pytest.MonkeyPatch,
                                                               onnxruntime_passes: list[int]) -> None:
    model, pixels = _model(), _pixels(10)
    reference = extract_features(model, pixels, batch_size=4, progress=False, engine="torch")
    for onnx_s, torch_s, runs_onnx in ((1.0, 9.0, True), (9.0, 1.0, False)):
        engine_choice.clear_engine_choices()
        monkeypatch.setattr(engine_choice, "_best_of", _timed(onnx_s, torch_s, []))
        onnxruntime_passes.clear()
        out = extract_features(model, pixels, batch_size=4, progress=False, engine="auto")
        assert (out - reference).abs().max() < 1e-4
        # the measurement runs onnxruntime twice (warm-up with the export, one timed run); the pass only when chosen
        assert len(onnxruntime_passes) == (3 if runs_onnx else 2)


def test_a_model_that_cannot_be_exported_gets_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(torch.onnx, "export", broken)
    assert engine_choice.measured_engine(_model(), _pixels(), batch_size=4, channels_last=False) is InferenceEngine.TORCH
