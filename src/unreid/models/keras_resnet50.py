"""Keras ``ResNet50`` ImageNet weights (TensorFlow.js layers format) as a torchvision state dict.

The Keras model differs from torchvision's ``resnet50`` in four ways, all folded into the
weights here so that the result loads strictly into ``torchvision.models.resnet50``:

* every convolution has a bias; it is folded into the following BatchNorm
  (``BN(conv(x) + b)`` equals ``BN'(conv(x))`` with ``running_mean' = running_mean - b``);
* BatchNorm epsilon is ``1e-3`` instead of ``1e-5``
  (``running_var' = running_var + 1e-3 - 1e-5`` keeps ``sqrt(var + eps)`` unchanged);
* the input is "caffe" preprocessed (BGR, 0-255, minus ``[103.939, 116.779, 123.68]``); the
  channel flip and scale go into ``conv1.weight`` and the remaining mean offset into
  ``bn1.running_mean``, so the converted model takes ordinary RGB input normalised with
  ImageNet mean ``[0.485, 0.456, 0.406]`` and std ``[0.229, 0.224, 0.225]``;
* it is ResNet "v1": the stride 2 of layer2-4's first block sits in the 1x1 ``conv1``.
  :func:`resnet50_v1` builds that layout (exact); torchvision's own "v1.5" layout (stride in the
  3x3 ``conv2``) accepts the same keys and gives close but not identical outputs.

Border of ``conv1``: Keras pads the *caffe-space* input with zeros (= the caffe mean colour),
torchvision pads the *normalised* input with zeros (= the ImageNet mean colour). The two colours
differ by at most 0.5 grey levels, so only the 3-pixel border ring of ``conv1``'s output sees a
tiny offset. :func:`use_keras_border_padding` (``resnet50_v1(keras_border=True)``) pads with the
exact colour instead and reproduces Keras to float rounding.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision
from torch import Tensor, nn

logger = logging.getLogger(__name__)

KERAS_BN_EPS = 1e-3
TORCH_BN_EPS = 1e-5
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
RESNET50_BLOCKS = (3, 4, 6, 3)
_BRANCHES = (("branch2a", "conv1", "bn1"), ("branch2b", "conv2", "bn2"), ("branch2c", "conv3", "bn3"))


def read_tfjs_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """Read every weight of a TensorFlow.js layers model (``model.json`` plus binary shards).

    Each manifest group's shards are concatenated in the listed order and sliced, weight by
    weight, by shape (little-endian ``float32`` only; quantised weights are refused).

    Args:
        model_dir: folder holding ``model.json`` and the ``*.bin`` shards it names.

    Returns:
        Weight name (e.g. ``"conv1/kernel"``) to array, in manifest order.
    """
    manifest_path = Path(model_dir) / "model.json"
    if not manifest_path.is_file():
        raise ValueError(f"{manifest_path}: not found; pass the folder that holds a TensorFlow.js model.json")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    groups = manifest.get("weightsManifest") if isinstance(manifest, dict) else None
    if not isinstance(groups, list):
        raise ValueError(f"{manifest_path}: no 'weightsManifest' list; is this a TensorFlow.js layers model?")
    weights: dict[str, np.ndarray] = OrderedDict()
    for group in groups:
        buffer = b"".join(_read_shard(manifest_path.parent / name) for name in group["paths"])
        offset = 0
        for entry in group["weights"]:
            name, shape, dtype = entry["name"], tuple(int(n) for n in entry["shape"]), entry["dtype"]
            if dtype != "float32" or "quantization" in entry:
                raise ValueError(f"{manifest_path}: weight {name!r} is {dtype} (quantised: "
                                 f"{'quantization' in entry}); only plain float32 models are supported")
            count = int(np.prod(shape, dtype=np.int64))
            end = offset + 4 * count
            if end > len(buffer):
                raise ValueError(f"{manifest_path}: shards of group {group['paths'][:1]}... end before weight "
                                 f"{name!r}; the download is truncated, fetch the model again")
            weights[name] = np.frombuffer(buffer, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
            offset = end
        if offset != len(buffer):
            raise ValueError(f"{manifest_path}: {len(buffer) - offset} unused bytes after the last weight of "
                             "a group; model.json and the shards do not belong together")
    return weights


def _read_shard(path: Path) -> bytes:
    if not path.is_file():
        raise ValueError(f"{path}: weight shard named in model.json is missing; fetch the model again")
    return path.read_bytes()


def convert_keras_resnet50(weights: dict[str, np.ndarray]) -> dict[str, Tensor]:
    """Convert Keras ``ResNet50`` weights to a torchvision ``resnet50`` state dict (fc included).

    Args:
        weights: Keras names (``res2a_branch2a/kernel``, ``bn_conv1/gamma``, ``fc1000/kernel``...)
            to arrays, as returned by :func:`read_tfjs_weights`.

    Returns:
        A float32 state dict with torchvision key names that expects ImageNet-normalised RGB
        input; load it into :func:`resnet50_v1` for Keras-exact outputs.
    """
    unused = set(weights)

    def take(name: str) -> np.ndarray:
        if name not in weights:
            raise ValueError(f"Keras ResNet50 weight {name!r} is missing; the model is not Keras' ResNet50 "
                             "(expected names like 'res2a_branch2a/kernel'). Fetch it again with `unreid weights`")
        unused.discard(name)
        return np.asarray(weights[name], dtype=np.float64)

    state: dict[str, Tensor] = OrderedDict()
    kernel, mean_shift = _fold_caffe_preprocessing(take("conv1/kernel"))
    _put_conv_bn(state, "conv1", "bn1", kernel, take("conv1/bias") + mean_shift, take, "bn_conv1")
    for stage, blocks in enumerate(RESNET50_BLOCKS):
        for block in range(blocks):
            keras_id = f"{stage + 2}{'abcdef'[block]}"
            prefix = f"layer{stage + 1}.{block}"
            for branch, conv_name, bn_name in _BRANCHES:
                kernel = _hwio_to_oihw(take(f"res{keras_id}_{branch}/kernel"))
                _put_conv_bn(state, f"{prefix}.{conv_name}", f"{prefix}.{bn_name}", kernel,
                             take(f"res{keras_id}_{branch}/bias"), take, f"bn{keras_id}_{branch}")
            if block == 0:
                kernel = _hwio_to_oihw(take(f"res{keras_id}_branch1/kernel"))
                _put_conv_bn(state, f"{prefix}.downsample.0", f"{prefix}.downsample.1", kernel,
                             take(f"res{keras_id}_branch1/bias"), take, f"bn{keras_id}_branch1")
    dense = take("fc1000/kernel")
    if dense.shape != (2048, 1000):
        raise ValueError(f"Keras fc1000/kernel has shape {dense.shape}, expected (2048, 1000); not ImageNet ResNet50")
    state["fc.weight"] = torch.from_numpy(dense.T.astype(np.float32))
    state["fc.bias"] = torch.from_numpy(take("fc1000/bias").astype(np.float32))
    if unused:
        raise ValueError(f"Keras weights not used by ResNet50: {sorted(unused)[:5]}; not Keras' ResNet50 model")
    return state


def _hwio_to_oihw(kernel: np.ndarray) -> np.ndarray:
    if kernel.ndim != 4:
        raise ValueError(f"expected a 4-d Keras convolution kernel (H, W, in, out), got shape {kernel.shape}")
    return kernel.transpose(3, 2, 0, 1)


def _fold_caffe_preprocessing(kernel_hwio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rewrite ``conv1`` from caffe input (BGR, 0-255, mean-subtracted) to ImageNet-normalised RGB.

    With ``x_norm[c] = (rgb[c] / 255 - mean[c]) / std[c]``, the caffe input of BGR channel ``j``
    (RGB channel ``c = 2 - j``) is ``255 * std[c] * x_norm[c] + delta[j]`` where
    ``delta[j] = 255 * mean[c] - caffe_mean[j]``. Hence the new kernel is the old one, channel
    flipped and scaled by ``255 * std``, and the constant ``sum(W * delta)`` per output channel is
    returned to be added to the conv bias (i.e. subtracted from bn1's running mean).

    Returns:
        The OIHW kernel for RGB input and the per-output-channel constant.
    """
    kernel = _hwio_to_oihw(kernel_hwio)
    if kernel.shape[1] != 3:
        raise ValueError(f"conv1 kernel has {kernel.shape[1]} input channels, expected 3 (BGR)")
    std = np.asarray(IMAGENET_STD_RGB, dtype=np.float64)
    delta_bgr = 255.0 * np.asarray(IMAGENET_MEAN_RGB, dtype=np.float64)[::-1] - np.asarray(CAFFE_MEAN_BGR)
    constant = np.einsum("oihw,i->o", kernel, delta_bgr)
    rgb_kernel = kernel[:, ::-1] * (255.0 * std)[None, :, None, None]
    return rgb_kernel, constant


def _put_conv_bn(state: dict[str, Tensor], conv_key: str, bn_key: str, kernel: np.ndarray, bias: np.ndarray,
                 take: Callable[[str], np.ndarray], keras_bn: str) -> None:
    """Store a conv (no bias) and its BatchNorm with the conv bias and Keras' epsilon folded in."""
    state[f"{conv_key}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float32))
    state[f"{bn_key}.weight"] = torch.from_numpy(take(f"{keras_bn}/gamma").astype(np.float32))
    state[f"{bn_key}.bias"] = torch.from_numpy(take(f"{keras_bn}/beta").astype(np.float32))
    mean = take(f"{keras_bn}/moving_mean") - bias
    var = take(f"{keras_bn}/moving_variance") + (KERAS_BN_EPS - TORCH_BN_EPS)
    state[f"{bn_key}.running_mean"] = torch.from_numpy(mean.astype(np.float32))
    state[f"{bn_key}.running_var"] = torch.from_numpy(var.astype(np.float32))
    state[f"{bn_key}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)


def keras_border_value() -> Tensor:
    """The ImageNet-normalised RGB colour that is zero in Keras' caffe space (``[3]``)."""
    mean = torch.tensor(IMAGENET_MEAN_RGB, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD_RGB, dtype=torch.float64)
    caffe_rgb = torch.tensor(CAFFE_MEAN_BGR[::-1], dtype=torch.float64)
    return ((caffe_rgb / 255.0 - mean) / std).float()


def use_keras_border_padding(model: nn.Module) -> None:
    """Pad ``conv1``'s input with the caffe mean colour instead of zeros, as Keras does.

    Sets ``conv1.padding`` to 0 and adds a forward pre-hook that pads by the former amount with
    :func:`keras_border_value`. Keys and weights are unchanged; only useful with weights from
    :func:`convert_keras_resnet50`, and only for bit-level agreement with Keras at the border.
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


def resnet50_v1(*, keras_border: bool = False, **kwargs: Any) -> torchvision.models.ResNet:
    """torchvision's ``resnet50`` in the "v1" layout of Keras (stride 2 in layer2-4's first 1x1 conv).

    Args:
        keras_border: pad ``conv1`` like Keras (see :func:`use_keras_border_padding`).
        **kwargs: passed to ``torchvision.models.resnet50`` (e.g. ``num_classes``); ``weights``
            is not allowed, load the converted state dict instead.

    Returns:
        An untrained model with the same state-dict keys as torchvision's ``resnet50``.
    """
    if kwargs.get("weights") is not None:
        raise ValueError("resnet50_v1 builds the layout only; load weights from `unreid weights` with load_state_dict")
    kwargs.pop("weights", None)
    model = torchvision.models.resnet50(weights=None, **kwargs)
    for stage in (model.layer2, model.layer3, model.layer4):
        block = stage[0]
        block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    if keras_border:
        use_keras_border_padding(model)
    return model
