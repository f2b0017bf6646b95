"""The ready model: a tiny trained run packaged as float16, used by name, and as a warm start."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from tiny_settings import TINY_SETTINGS, as_overrides
from unreid.cli.main import main
from unreid.cli.model_building import build_model
from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.config.validation import validate_config
from unreid.io.safe_load import load_checkpoint
from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.weights import ready_models
from unreid.weights.package_ready_model import package_ready_model
from unreid.weights.ready_models import READY_MODELS, resolve_model_file

FILE = READY_MODELS["market1501"].file_name


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``best.pth`` of the tiny run (resnet10t at 32x16, 2 epochs on synthetic data)."""
    root = tmp_path_factory.mktemp("tiny")
    run_training(load_config(overrides=[f"output_dir={root / 'run'}", f"data.root={root / 'synthetic'}",
                                        *as_overrides(TINY_SETTINGS)]), progress=False)
    return root / "run" / "best.pth"


@pytest.fixture(scope="module")
def packaged(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package_ready_model(checkpoint=trained, out_dir=tmp_path_factory.mktemp("ready")).path


@pytest.fixture
def shipped(packaged: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package's ready-model folder pointed at the packaged tiny model."""
    monkeypatch.setattr(ready_models, "READY_FOLDER", packaged.parent)
    return packaged


def _crops() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (48 + 8 * i, 24 + 4 * i, 3), dtype=np.uint8) for i in range(6)]


def _tiny_model_config(*more: str) -> list[str]:
    return [*as_overrides(TINY_SETTINGS), "data.root=unused", *more]


def test_package_stores_float16_spec_and_provenance(trained: Path, packaged: Path) -> None:
    original = load_checkpoint(trained)
    state = load_checkpoint(packaged, required=("model", "model_spec", "provenance"))
    floats = {key: value.dtype for key, value in state["model"].items() if value.is_floating_point()}
    statistics = {key for key in floats if key.endswith(("running_mean", "running_var"))}
    assert statistics and all(floats[key] == torch.float32 for key in statistics)  # BatchNorm statistics stay float32
    assert len(floats) > len(statistics) and all(floats[k] == torch.float16 for k in set(floats) - statistics)
    assert set(state["model"]) == set(original["model"])
    assert state["model_spec"] == original["model_spec"]
    provenance = state["provenance"]
    assert (provenance["epoch"], provenance["score"]) == (original["epoch"], original["score"])
    assert provenance["config"]["model"]["backbone"] == "resnet10t"  # the run's config.yaml
    card = json.loads(packaged.with_suffix(".json").read_text())
    assert card["size_bytes"] == packaged.stat().st_size
    assert "research" in card["terms"] and "without labels" in card["trained_by"]
    assert card["float16_check"]["min_cosine"] > 0.999


def test_packaged_features_match_the_checkpoint(trained: Path, packaged: Path) -> None:
    reference = FeatureExtractor.from_checkpoint(trained, engine="torch")(_crops())  # [6, D], float32 weights
    half = FeatureExtractor.from_checkpoint(packaged, engine="torch")(_crops())  # [6, D]
    assert half.dtype == torch.float32
    assert float((half - reference).abs().max()) < 1e-2
    assert float((half * reference).sum(dim=1).min()) > 0.999


def test_packaging_refuses_to_replace_without_overwrite(trained: Path, packaged: Path) -> None:
    with pytest.raises(ValueError, match="already exists.*--overwrite"):
        package_ready_model(checkpoint=trained, out_dir=packaged.parent)
    before = packaged.stat().st_mtime_ns
    package_ready_model(checkpoint=trained, out_dir=packaged.parent, overwrite=True)
    assert packaged.stat().st_mtime_ns >= before
    with pytest.raises(ValueError, match="known ready models: market1501"):
        package_ready_model(checkpoint=trained, out_dir=packaged.parent, name="msmt17")


def test_name_resolves_to_the_packaged_file(shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_model_file("market1501") == shipped
    assert resolve_model_file("ready:market1501") == shipped
    (tmp_path / "market1501").mkdir()  # a data-set folder of that name is no checkpoint: the name still wins
    assert resolve_model_file("market1501") == shipped
    (tmp_path / "market1501").rmdir()
    (tmp_path / "market1501").write_bytes(b"")  # a file of that name does win; ready: still means the package
    assert resolve_model_file("market1501") == Path("market1501")
    assert resolve_model_file("ready:market1501") == shipped
    with pytest.raises(ValueError, match="known: market1501"):
        resolve_model_file("ready:msmt17")
    by_name = FeatureExtractor.from_checkpoint("ready:market1501", engine="torch")(_crops())  # the Python API too
    torch.testing.assert_close(by_name, FeatureExtractor.from_checkpoint(shipped, engine="torch")(_crops()))


def test_extract_by_name_equals_extract_by_path(shipped: Path, tmp_path: Path) -> None:
    from PIL import Image

    crops = tmp_path / "crops"
    crops.mkdir()
    for i, pixels in enumerate(_crops()):
        Image.fromarray(pixels).save(crops / f"{i:04d}_c1s1_000000_00.png")
    for model, out in (("market1501", "by_name.npy"), (str(shipped), "by_path.npy")):
        assert main(["extract", str(crops), "--out", str(tmp_path / out), "--checkpoint", model,
                     "--engine", "torch"]) == 0
    by_name, by_path = np.load(tmp_path / "by_name.npy"), np.load(tmp_path / "by_path.npy")
    assert by_name.shape == (6, 512)
    np.testing.assert_array_equal(by_name, by_path)


@pytest.mark.parametrize("argv", [
    ["extract", "crops", "--out", "f.npy", "--checkpoint", "market1501"],
    ["search", "index", "q.jpg", "--checkpoint", "market1501"],
    ["serve", "index", "--checkpoint", "ready:market1501"],
    ["index", "build", "crops", "--out", "index", "--checkpoint", "market1501"],
    ["identities", "market1501", "crops", "--out", "ids"],
    ["evaluate", "market1501"],
    ["export", "onnx", "--checkpoint", "market1501", "--out", "m.onnx"],
])
def test_every_model_taking_command_accepts_the_name(shipped: Path, argv: list[str]) -> None:
    from unreid.cli.main import build_parser

    args = build_parser().parse_args(argv)
    assert (args.model if argv[0] == "identities" else args.checkpoint) == shipped


def test_missing_ready_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(ready_models, "READY_FOLDER", tmp_path / "empty")
    with pytest.raises(SystemExit) as stopped:
        main(["extract", str(tmp_path), "--out", str(tmp_path / "f.npy"), "--checkpoint", "market1501"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "ready model 'market1501' is not in this installation" in err and "package_ready_model" in err
    assert not (tmp_path / "f.npy").exists()


def test_weights_list_shows_size_and_terms(shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weights", "--list"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("market1501"))
    assert f"{shipped.stat().st_size / 1e6:.1f} MB float16" in line and "resnet10t 32x16" in line
    assert "research purposes only" in line
    assert "mobilenetv2_100" in out  # the ImageNet names follow


def test_warm_start_loads_every_weight(shipped: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(overrides=_tiny_model_config("model.pretrained=market1501"))
    assert not [p for p in _pretrained_problems(config)]
    with caplog.at_level(logging.INFO, logger="unreid.weights.ready_models"):
        model = build_model(config.model, device=torch.device("cpu"), channels_last=False).eval()
    assert any("model.pretrained=market1501: loaded all" in r.getMessage() for r in caplog.records)
    reference = FeatureExtractor.from_checkpoint(shipped, engine="torch")
    images = torch.rand(4, 3, 32, 16)  # [B, 3, H, W]
    with torch.no_grad():
        torch.testing.assert_close(model(images), reference.model(images), rtol=0, atol=0)  # [4, 512]
    fresh = load_config(overrides=_tiny_model_config())
    cold = build_model(fresh.model, device=torch.device("cpu"), channels_last=False).eval()
    with torch.no_grad():
        assert not torch.allclose(cold(images), reference.model(images), atol=1e-3)  # the warm start changed it


def _pretrained_problems(config: object) -> list[str]:
    from unreid.config.validation import config_problems

    return [p for p in config_problems(config) if p.startswith("model.pretrained")]  # type: ignore[arg-type]


def test_warm_start_mismatch_is_refused(shipped: Path) -> None:
    taller = load_config(overrides=_tiny_model_config("model.pretrained=market1501", "data.height=64"))
    with pytest.raises(ValueError, match=r"data.height=64 \(the ready model has 32\); set data.height=32 \("):
        validate_config(taller)
    other = load_config(overrides=_tiny_model_config("model.pretrained=market1501", "model.backbone=resnet18"))
    assert any("model.backbone=resnet18 (the ready model has resnet10t)" in p for p in _pretrained_problems(other))
    with pytest.raises(ValueError, match="model.backbone=resnet18"):
        build_model(other.model, device=torch.device("cpu"), channels_last=False)
    unknown = load_config(overrides=_tiny_model_config("model.pretrained=ready:msmt17"))
    assert any("no ready model of that name; known: market1501" in p for p in _pretrained_problems(unknown))
