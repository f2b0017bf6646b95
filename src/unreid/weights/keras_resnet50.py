"""Keras ``ResNet50`` ImageNet weights as a torchvision ``resnet50`` state dict.

Keras' weights are the ImageNet ResNet-50 that can be fetched without torchvision's server
(see :mod:`unreid.weights.npm_package`). The Keras model differs from torchvision's
``resnet50`` in four ways, all folded into the weights here so that the result loads
strictly into ``torchvision.models.resnet50`` (and timm's ``resnet50``):

* every convolution has a bias; it is folded into the following BatchNorm
  (``BN(conv(x) + b)`` equals ``BN'(conv(x))`` with ``running_mean' = running_mean - b``);
* BatchNorm epsilon is ``1e-3`` instead of ``1e-5``
  (``running_var' = running_var + 1e-3 - 1e-5`` keeps ``sqrt(var + eps)`` unchanged);
* the input is "caffe" preprocessed (BGR, 0-255, minus ``[103.939, 116.779, 123.68]``); the
  channel flip and scale go into ``conv1.weight`` and the remaining mean offset into
  ``bn1.running_mean``, so the converted model takes ordinary RGB input normalised with
  ImageNet mean ``[0.485, 0.456, 0.406]`` and std ``[0.229, 0.224, 0.225]``;
* it is ResNet "v1": the stride 2 of layer2-4's first block sits in the 1x1 ``conv1``.
  Building the backbone with ``stride_in_1x1=True`` (:func:`unreid.models.backbone.move_stride_to_1x1`)
  gives that layout (exact); torchvision's own "v1.5" layout (stride in the 3x3 ``conv2``)
  accepts the same keys and gives close but not identical outputs.

Border of ``conv1``: Keras pads the *caffe-space* input with zeros (= the caffe mean colour),
torchvision pads the *normalised* input with zeros (= the ImageNet mean colour). The two colours
differ by at most 0.5 grey levels, so only the 3-pixel border ring of ``conv1``'s output sees a
tiny offset (the tests pad with the exact colour and reproduce Keras to float rounding).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

logger = logging.getLogger(__name__)

KERAS_BN_EPS = 1e-3
TORCH_BN_EPS = 1e-5
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
RESNET50_BLOCKS = (3, 4, 6, 3)
_BRANCHES = (("branch2a", "conv1", "bn1"), ("branch2b", "conv2", "bn2"), ("branch2c", "conv3", "bn3"))


def convert_keras_resnet50(weights: dict[str, np.ndarray]) -> dict[str, Tensor]:
    """Convert Keras ``ResNet50`` weights to a torchvision ``resnet50`` state dict (fc included).

    Args:
        weights: Keras names (``res2a_branch2a/kernel``, ``bn_conv1/gamma``, ``fc1000/kernel``...)
            to arrays, as returned by :func:`unreid.weights.tfjs_model.read_tfjs_weights`.

    Returns:
        A float32 state dict with torchvision key names that expects ImageNet-normalised RGB
        input; load it into a ResNet-50 in the "v1" layout (``stride_in_1x1``) for Keras' outputs.
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
