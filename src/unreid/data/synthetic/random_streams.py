"""Independent random streams, so that every draw depends only on the seed and the item.

Each kind of draw (cameras, people, the file layout, each image) has its own branch of a
:class:`numpy.random.SeedSequence` keyed by the config's seed and the item's index. Adding
an identity or an image therefore leaves every other draw, and so every other file, as it was.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

# Random stream tags: each kind of draw has its own seed sequence branch.
STREAM_CAMERA, STREAM_PERSON, STREAM_LAYOUT, STREAM_IMAGE = 1, 2, 3, 4


def seeded_rng(seed: int, *keys: int) -> np.random.Generator:
    """The generator of stream ``(seed, *keys)``, e.g. ``(seed, STREAM_IMAGE, image_index)``."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))
