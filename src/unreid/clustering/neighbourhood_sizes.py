"""Label-free neighbourhood sizes (``k1``, ``k2``, ``min_samples``) scaled to the collection.

The k-reciprocal Jaccard distance and DBSCAN both count neighbours, and the right count
follows how many crops a person has, which nobody knows without labels. Cluster
Contrast's ``k1 30 / min_samples 4`` suit Market-1501 (about 17 crops a person); on a
collection with four crops a person (CUHK01) a person's crops can never be 30
reciprocal neighbours nor 4 core neighbours across cameras, and DBSCAN falls back to
camera clusters. The number of crops per person grows with the collection, roughly as
its square root for the surveillance sets we know (more footage: more people *and*
more crops of each), so ``auto`` sets

* ``k1 = clip(round(sqrt(N) / 4), 3, 30)`` (Market-1501-dev's 8,642 crops: 23; 1,940: 11; 60: 3),
* ``k2 = clip(round(0.3 * k1), 1, 6)``,
* ``min_samples = clip(round(k1 / 5), 2, 4)``,

the constants chosen on market1501-dev (whose label-tuned ``k1`` was 20) and then used
unchanged elsewhere. ``eps`` comes from the distances each epoch
(:mod:`unreid.clustering.eps_policy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class NeighbourhoodPolicy(str, Enum):
    """How ``k1``, ``k2`` and ``min_samples`` are set: as configured, or from the collection size."""

    FIXED = "fixed"
    AUTO = "auto"


@dataclass(frozen=True)
class NeighbourhoodSizes:
    """The three neighbour counts of Jaccard + DBSCAN clustering."""

    k1: int
    k2: int
    min_samples: int


def _clip(value: float, low: int, high: int) -> int:
    return int(min(max(round(value), low), high))


def sizes_for_collection(num_images: int) -> NeighbourhoodSizes:
    """The ``auto`` neighbour counts for a collection of ``num_images`` crops (module docstring).

    Raises:
        ValueError: for fewer than two images.
    """
    if num_images < 2:
        raise ValueError(f"sizes_for_collection needs at least 2 images, got {num_images}")
    k1 = min(_clip(math.sqrt(num_images) / 4, 3, 30), num_images - 1)
    return NeighbourhoodSizes(k1=k1, k2=_clip(0.3 * k1, 1, 6), min_samples=_clip(k1 / 5, 2, 4))
