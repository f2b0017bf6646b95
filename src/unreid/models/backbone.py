"""Backbones from timm, with the re-ID tweaks (last stride 1) and ImageNet weights."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, cast

import timm
import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)


class PretrainedSource(str, Enum):
    """Where ImageNet weights come from: none, a local file, or the library's own download."""

    NONE = "none"
    FILE = "file"
    DOWNLOAD = "download"


def _resnet_like(model: nn.Module) -> bool:
    return all(hasattr(model, name) for name in ("conv1", "layer1", "layer4"))


def _last_strided_conv(model: nn.Module) -> nn.Conv2d | None:
    """The last stride-2 convolution of timm's EfficientNet-family ``blocks`` (EfficientNet, MobileNet), if any."""
    blocks = getattr(model, "blocks", None)
    if not isinstance(blocks, nn.Sequential):
        return None
    strided = [m for m in blocks.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    return strided[-1] if strided else None


def set_last_stride_one(model: nn.Module) -> None:
    """Remove the stride of the last stage (2x larger final feature map).

    ResNet-like models: layer4's first block. timm's EfficientNet family (EfficientNet-Lite,
    MobileNetV2/V3): the depthwise conv of the last stride-2 block (its "same" padding follows the stride).
    """
    if not _resnet_like(model):
        conv = _last_strided_conv(model)
        if conv is None:
            logger.warning("last_stride=1 is implemented for ResNet-like and EfficientNet-family backbones only; "
                           "left unchanged")
            return
        conv.stride = (1, 1)
        return
    block = model.layer4[0]  # type: ignore[index]
    for conv_name in ("conv1", "conv2"):
        conv = getattr(block, conv_name, None)
        if isinstance(conv, nn.Conv2d) and conv.stride != (1, 1):
            conv.stride = (1, 1)
    downsample = getattr(block, "downsample", None)
    if downsample is not None:
        for module in downsample.modules():
            if isinstance(module, nn.Conv2d):
                module.stride = (1, 1)
            elif isinstance(module, nn.AvgPool2d):
                module.stride = 1
                module.kernel_size = 1


def move_stride_to_1x1(model: nn.Module) -> None:
    """Put the stride-2 of layer2-4's first block in its 1x1 conv (ResNet "v1", as in Keras)."""
    if not _resnet_like(model):
        raise ValueError("stride_in_1x1 needs a ResNet-like backbone (conv1, layer1..layer4)")
    for name in ("layer2", "layer3", "layer4"):
        block: Any = cast(nn.Sequential, getattr(model, name))[0]
        if hasattr(block, "conv3") and block.conv2.stride != (1, 1):
            block.conv1.stride, block.conv2.stride = block.conv2.stride, (1, 1)


def load_imagenet_state_dict(model: nn.Module, *, path: Path) -> None:
    """Load torchvision-named ImageNet weights (e.g. ``resnet50-*.pth``) into a timm ResNet.

    The classifier is ignored; every other weight must match, else a ``ValueError``
    names the file and the mismatching keys.
    """
    from unreid.weights.state_dict_file import read_state_dict

    state = read_state_dict(path)
    state = {k: v for k, v in state.items() if not k.startswith(("fc.", "classifier.", "head."))}
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.startswith(("fc.", "classifier.", "head."))]
    unexpected = [k for k in state if k not in own]
    shape_mismatch = [k for k in state if k in own and own[k].shape != state[k].shape]
    if missing or unexpected or shape_mismatch:
        raise ValueError(
            f"{path}: does not fit this backbone (missing {missing[:5]}, unexpected {unexpected[:5]}, "
            f"shape mismatch {shape_mismatch[:5]}). Pass weights of the same architecture, with "
            "torchvision key names (e.g. from `unreid weights`)."
        )
    model.load_state_dict({**own, **{k: v.to(own[k].dtype) for k, v in state.items()}})
    logger.info("loaded ImageNet weights from %s", path)


def build_backbone(
    *,
    name: str = "resnet50",
    pretrained: PretrainedSource = PretrainedSource.NONE,
    pretrained_path: Path | None = None,
    last_stride_one: bool = True,
    stride_in_1x1: bool = False,
) -> tuple[nn.Module, int]:
    """Create a timm backbone without classifier or pooling.

    Args:
        name: any ``timm.list_models()`` name, e.g. ``resnet50`` (default), ``resnet18``,
            ``resnet10t`` (small, for CPU runs), ``convnext_tiny``.
        pretrained: ImageNet weights from nowhere, a local file or timm's download.
        pretrained_path: the file for ``PretrainedSource.FILE`` (torchvision key names).
        last_stride_one: remove the stride of the last stage (ResNets).
        stride_in_1x1: ResNet "v1" layout, for weights converted from Keras.

    Returns:
        The backbone (``forward_features`` gives ``[B, C, H, W]``) and ``C``.
    """
    if name not in timm.list_models():
        close = timm.list_models(f"*{name}*")[:10]
        raise ValueError(f"unknown backbone {name!r}; similar timm names: {close}")
    model = timm.create_model(name, pretrained=pretrained is PretrainedSource.DOWNLOAD, num_classes=0, global_pool="")
    if stride_in_1x1:
        move_stride_to_1x1(model)
    if pretrained is PretrainedSource.FILE:
        if pretrained_path is None:
            raise ValueError("pretrained='file' needs pretrained_path (a torchvision-style state dict)")
        load_imagenet_state_dict(model, path=pretrained_path)
    if last_stride_one:
        set_last_stride_one(model)
    return model, cast(int, model.num_features)


def feature_map_size(backbone: nn.Module, *, height: int, width: int) -> tuple[int, int]:
    """Spatial size of ``forward_features`` for an input of ``height x width``."""
    with torch.no_grad():
        was_training = backbone.training
        backbone.eval()
        param = next(backbone.parameters())
        forward_features = cast(Callable[[Tensor], Tensor], backbone.forward_features)  # timm's contract
        out = forward_features(torch.zeros(1, 3, height, width, device=param.device))  # [1, C, h, w]
        backbone.train(was_training)
    return int(out.shape[-2]), int(out.shape[-1])
