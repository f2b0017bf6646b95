"""Pretrained weights by name: ``model.pretrained: imagenet`` picks the cached file of the configured backbone.

``unreid weights --name <backbone>`` fills the cache; a run whose config says ``imagenet``
fetches what is missing the same way, so a config never needs a path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

IMAGENET = "imagenet"


def _resnet50(cache_dir: Path | None) -> Path:
    from unreid.weights.resnet50_imagenet import fetch_imagenet_resnet50

    return fetch_imagenet_resnet50(cache_dir=cache_dir).path


def _lite0(cache_dir: Path | None) -> Path:
    from unreid.weights.efficientnet_lite0 import fetch_efficientnet_lite0

    return fetch_efficientnet_lite0(cache_dir=cache_dir).path


def _mobilenet_v2(cache_dir: Path | None) -> Path:
    from unreid.weights.mobilenet_v2 import fetch_mobilenet_v2

    return fetch_mobilenet_v2(cache_dir=cache_dir).path


# timm backbone name -> a function returning its cached ImageNet weights file (fetched once).
FETCHERS: dict[str, Callable[[Path | None], Path]] = {
    "resnet50": _resnet50,
    "tf_efficientnet_lite0": _lite0,
    "mobilenetv2_100": _mobilenet_v2,
}


def imagenet_weights(*, backbone: str, cache_dir: Path | None = None) -> Path:
    """The cached ImageNet weights of ``backbone``; ``ValueError`` listing the known backbones otherwise."""
    if backbone not in FETCHERS:
        raise ValueError(f"no ImageNet weights known for backbone {backbone!r}; `unreid weights --name` knows "
                         f"{sorted(FETCHERS)}; or set model.pretrained to a state-dict file")
    try:
        return FETCHERS[backbone](cache_dir)
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
