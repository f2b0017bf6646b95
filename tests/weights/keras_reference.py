"""Test helpers: Keras' ResNet50 restated in torch, to check the conversion against.

``keras_reference_logits`` is an independent re-statement of Keras' forward pass (caffe
input, HWIO kernels with biases, BatchNorm epsilon 1e-3, "v1" strides); ``resnet50_v1`` with
``keras_border=True`` is torchvision's model in Keras' layout with Keras' border padding, which
must reproduce it to float rounding once loaded with the converted weights.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from unreid.models.backbone import move_stride_to_1x1
from unreid.weights.keras_resnet50 import (
    CAFFE_MEAN_BGR,
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
    KERAS_BN_EPS,
    RESNET50_BLOCKS,
)

MEAN = torch.tensor(IMAGENET_MEAN_RGB).view(1, 3, 1, 1)
STD = torch.tensor(IMAGENET_STD_RGB).view(1, 3, 1, 1)


def normalise(rgb01: Tensor) -> Tensor:
    return (rgb01 - MEAN) / STD


def caffe(rgb01: Tensor) -> Tensor:
    return rgb01.flip(1) * 255.0 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)


def keras_conv_bn(w: dict[str, np.ndarray], x: Tensor, conv: str, bn: str, *, stride: int, pad: int) -> Tensor:
    """Keras semantics: HWIO kernel with bias, then BatchNorm with epsilon 1e-3."""
    kernel = torch.from_numpy(w[f"{conv}/kernel"]).permute(3, 2, 0, 1)
    x = F.conv2d(x, kernel, torch.from_numpy(w[f"{conv}/bias"]), stride=stride, padding=pad)
    return F.batch_norm(x, torch.from_numpy(w[f"{bn}/moving_mean"]), torch.from_numpy(w[f"{bn}/moving_variance"]),
                        torch.from_numpy(w[f"{bn}/gamma"]), torch.from_numpy(w[f"{bn}/beta"]), eps=KERAS_BN_EPS)


def keras_reference_logits(w: dict[str, np.ndarray], rgb01: Tensor) -> Tensor:
    """An independent re-statement of Keras' ResNet50 forward (caffe input, zero padding, v1 strides)."""
    x = F.relu(keras_conv_bn(w, F.pad(caffe(rgb01), (3, 3, 3, 3)), "conv1", "bn_conv1", stride=2, pad=0))
    x = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, stride=2)  # Keras pads with zeros; after ReLU that is exact
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        for block in range(blocks):
            name = f"{stage + 2}{'abcdef'[block]}"
            stride = 2 if block == 0 and stage > 0 else 1
            shortcut = x if block else keras_conv_bn(w, x, f"res{name}_branch1", f"bn{name}_branch1", stride=stride,
                                                     pad=0)
            y = F.relu(keras_conv_bn(w, x, f"res{name}_branch2a", f"bn{name}_branch2a", stride=stride, pad=0))
            y = F.relu(keras_conv_bn(w, y, f"res{name}_branch2b", f"bn{name}_branch2b", stride=1, pad=1))
            x = F.relu(keras_conv_bn(w, y, f"res{name}_branch2c", f"bn{name}_branch2c", stride=1, pad=0) + shortcut)
    return x.mean(dim=(2, 3)) @ torch.from_numpy(w["fc1000/kernel"]) + torch.from_numpy(w["fc1000/bias"])


def random_keras_resnet50(seed: int = 0) -> dict[str, np.ndarray]:
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


def keras_border_value() -> Tensor:
    """The ImageNet-normalised RGB colour that is zero in Keras' caffe space (``[3]``)."""
    mean = torch.tensor(IMAGENET_MEAN_RGB, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD_RGB, dtype=torch.float64)
    caffe_rgb = torch.tensor(CAFFE_MEAN_BGR[::-1], dtype=torch.float64)
    return ((caffe_rgb / 255.0 - mean) / std).float()


def use_keras_border_padding(model: nn.Module) -> None:
    """Pad ``conv1``'s input with the caffe mean colour instead of zeros, as Keras does.

    Sets ``conv1.padding`` to 0 and adds a forward pre-hook that pads by the former amount with
    :func:`keras_border_value`; keys and weights are unchanged.
    """
    conv = getattr(model, "conv1", None)
    if not isinstance(conv, nn.Conv2d) or conv.in_channels != 3:
        raise ValueError("use_keras_border_padding needs a ResNet with an RGB `conv1` (torchvision/timm layout)")
    if isinstance(conv.padding, str):
        raise ValueError(f"use_keras_border_padding needs numeric conv1 padding, got {conv.padding!r}")
    pad_h, pad_w = int(conv.padding[0]), int(conv.padding[1])
    conv.padding = (0, 0)
    fill = keras_border_value()

    def pad_with_caffe_mean(_module: nn.Module, inputs: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        x = inputs[0]
        batch, channels, height, width = x.shape
        value = fill.to(device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        padded = value.expand(batch, channels, height + 2 * pad_h, width + 2 * pad_w).clone()
        padded[:, :, pad_h : pad_h + height, pad_w : pad_w + width] = x
        return (padded, *inputs[1:])

    conv.register_forward_pre_hook(pad_with_caffe_mean)


def resnet50_v1(*, keras_border: bool = False, num_classes: int = 1000) -> torchvision.models.ResNet:
    """torchvision's ``resnet50`` in Keras' "v1" layout (``stride_in_1x1``), optionally with Keras' border."""
    model = torchvision.models.resnet50(weights=None, num_classes=num_classes)
    move_stride_to_1x1(model)
    if keras_border:
        use_keras_border_padding(model)
    return model
