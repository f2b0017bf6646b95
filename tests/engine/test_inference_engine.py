"""The onnxruntime engine of :func:`extract_features` against the torch reference path."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

import pytest
import torch
from torch import nn

from unreid.clustering.pseudo_labels import ClusteringSettings, cluster_features
from unreid.engine import engine_choice, onnx_inference
from unreid.engine.cpu_threads import configure_threads
from unreid.engine.extract import extract_features
from unreid.engine.inference_engine import InferenceEngine, resolve_engine
from unreid.models.embedding_model import build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    onnx_inference.clear_session_cache()
    engine_choice.clear_engine_choices()


def tiny_model(seed: int = 0, backbone: str = "resnet10t") -> nn.Module:
    torch.manual_seed(seed)
    model = build_embedding_model(backbone=backbone)
    use_ghost_batch_norm(model, samples_per_bn=4)
    with torch.no_grad():  # non-trivial running statistics, so eval-mode BatchNorm matters
        model.train()(torch.randn(8, 3, 32, 16))
    return model


def random_pixels(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, 32, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def features(model: nn.Module, pixels: torch.Tensor, engine: str, batch_size: int = 16) -> torch.Tensor:
    return extract_features(model, pixels, batch_size=batch_size, progress=False, engine=engine)


@pytest.mark.parametrize("backbone", ["resnet10t", "mobilenetv2_100"])
def test_onnxruntime_equals_torch(backbone: str) -> None:
    model, pixels = tiny_model(backbone=backbone), random_pixels(20)
    reference = features(model, pixels, "torch")  # [20, D]
    fast = features(model, pixels, "onnxruntime")  # [20, D]
    assert fast.shape == reference.shape and fast.dtype == torch.float32
    assert torch.allclose(fast.norm(dim=1), torch.ones(20), atol=1e-5)
    assert (fast - reference).abs().max() < 1e-4


def test_onnxruntime_gives_the_same_clusters() -> None:
    """Six identities, each a base image with pixel noise: both engines' features cluster identically."""
    gen = torch.Generator().manual_seed(3)
    bases = torch.randint(0, 256, (6, 3, 32, 16), generator=gen)  # [6, 3, H, W]
    noise = torch.randint(-12, 13, (6, 8, 3, 32, 16), generator=gen)  # [6, 8, 3, H, W]
    pixels = (bases[:, None] + noise).clamp(0, 255).to(torch.uint8).flatten(0, 1)  # [48, 3, H, W]
    model = tiny_model()
    settings = ClusteringSettings(k1=6, k2=2, eps=0.5, min_samples=3)
    reference = cluster_features(features(model, pixels, "torch"), settings).labels
    fast = cluster_features(features(model, pixels, "onnxruntime"), settings).labels
    assert int(reference.max()) + 1 >= 2  # a set that really clusters
    assert torch.equal(reference, fast)


def test_auto_picks_onnxruntime_on_the_cpu_only() -> None:
    assert resolve_engine("auto", device=CPU) is InferenceEngine.ONNXRUNTIME
    assert resolve_engine("auto", device=torch.device("cuda")) is InferenceEngine.TORCH
    assert resolve_engine("auto", device=CPU, amp_dtype=torch.bfloat16) is InferenceEngine.TORCH
    assert resolve_engine("torch", device=CPU) is InferenceEngine.TORCH


def test_bad_engines_are_refused() -> None:
    with pytest.raises(ValueError, match="auto, torch, onnxruntime"):
        resolve_engine("tensorrt", device=CPU)
    with pytest.raises(ValueError, match="use engine auto or torch"):
        resolve_engine("onnxruntime", device=torch.device("cuda"))


def test_auto_runs_onnxruntime_and_torch_forces_torch(monkeypatch: pytest.MonkeyPatch,
                                                       onnxruntime_passes: list[int]) -> None:
    calls = onnxruntime_passes
    monkeypatch.setattr(engine_choice, "measured_engine", lambda *a, **k: InferenceEngine.ONNXRUNTIME)
    model, pixels = tiny_model(), random_pixels(10)
    features(model, pixels, "auto")
    assert calls == [10]
    features(model, pixels, "torch")
    assert calls == [10]


def test_training_mode_and_batchnorm_statistics_are_kept() -> None:
    model, pixels = tiny_model(), random_pixels(12)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for training in (True, False):
        model.train(training)
        features(model, pixels, "onnxruntime")
        onnx_inference.clear_session_cache()
        assert model.training is training
        assert all(m.training is training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_changed_weights_are_exported_again() -> None:
    model, pixels = tiny_model(), random_pixels(12)
    first = features(model, pixels, "onnxruntime")
    assert torch.equal(features(model, pixels, "onnxruntime"), first)  # cached session, same numbers
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model.train()
    model(torch.randn(8, 3, 32, 16)).sum().backward()
    optimizer.step()  # in place, as the trainer's Adam
    after = features(model, pixels, "onnxruntime")
    assert (after - first).abs().max() > 1e-3
    assert (after - features(model, pixels, "torch")).abs().max() < 1e-4
    other = tiny_model(seed=5)
    assert (features(other, pixels, "onnxruntime") - features(other, pixels, "torch")).abs().max() < 1e-4


def test_two_models_in_turn_keep_their_sessions(count_calls: Callable[[object, str], list[int]]) -> None:
    exports = count_calls(onnx_inference, "build_session")
    first, second, pixels = tiny_model(), tiny_model(seed=5), random_pixels(6)
    for _ in range(3):
        a, b = features(first, pixels, "onnxruntime"), features(second, pixels, "onnxruntime")
    assert len(exports) == 2  # one export each, not one per pass
    assert (a - features(first, pixels, "torch")).abs().max() < 1e-4
    assert (b - features(second, pixels, "torch")).abs().max() < 1e-4
    del first
    gc.collect()
    assert len(onnx_inference._cache) == 1  # a session goes with its model


def test_reruns_are_bit_identical() -> None:
    model, pixels = tiny_model(), random_pixels(20)
    first = features(model, pixels, "onnxruntime")
    onnx_inference.clear_session_cache()
    assert torch.equal(features(model, pixels, "onnxruntime"), first)


def test_failed_export_falls_back_to_torch_once(monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    exports: list[int] = []

    def broken_export(*args: object, **kwargs: object) -> None:
        exports.append(1)
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(torch.onnx, "export", broken_export)
    model, pixels = tiny_model(), random_pixels(10)
    model.train()
    with caplog.at_level(logging.WARNING, logger="unreid.engine.extract"):
        first = features(model, pixels, "auto")
        second = features(model, pixels, "onnxruntime")
    assert torch.equal(first, features(model, pixels, "torch")) and torch.equal(second, first)
    assert exports == [1]  # not tried again for this model
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unsupported operator" in warnings[0].getMessage()
    assert "extracting with torch" in warnings[0].getMessage()
    assert model.training


def test_onnxruntime_threads_follow_torch() -> None:
    before = torch.get_num_threads()
    try:
        assert configure_threads(1) == 1 and torch.get_num_threads() == 1
        model = tiny_model()
        features(model, random_pixels(4), "onnxruntime")
        session = onnx_inference._cache[model].session
        assert session.get_session_options().intra_op_num_threads == 1
        assert session.get_session_options().inter_op_num_threads == 1
        assert configure_threads(0) == 1  # 0 keeps torch's number
        with pytest.raises(ValueError, match="--threads -1"):
            configure_threads(-1)
    finally:
        torch.set_num_threads(before)


def test_faiss_gets_the_same_threads() -> None:
    faiss = pytest.importorskip("faiss")
    before, faiss_before = torch.get_num_threads(), faiss.omp_get_max_threads()
    try:
        configure_threads(1)
        assert faiss.omp_get_max_threads() == 1
    finally:
        torch.set_num_threads(before)
        faiss.omp_set_num_threads(faiss_before)
