"""Tomorrow's crops into today's identities, without clustering everything again.

A new crop *joins* an existing identity when its cosine similarity to that identity's
centroid (the nearest one) reaches the join threshold. The default threshold comes from
the existing identities themselves: the :data:`JOIN_PERCENTILE`-th percentile of the
members' *leave-one-out* similarities (each member against the centroid of the other members
of its identity, identities of at least two members), i.e. a new crop joins when it is at
least as close to a centroid as all but the least typical 5% of the members are to theirs.
Leaving the member out matters: a member pulls its own centroid towards itself (by about
``1/size``), a new crop does not, so the plain similarities would set the bar too high for
small identities.
The new crops that join nothing are clustered among themselves together with the old
unassigned crops (same label-free settings as the first run), and every cluster found
there founds a new identity, numbered after the existing ones. Nothing existing is
renumbered and no old crop leaves its identity; centroids are recomputed as the mean of all
members, so identities that gained crops move towards them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from unreid.identities.assignment import (
    attach_unassigned,
    identity_centroids,
    nearest_centroids,
    own_similarities,
)
from unreid.identities.clustering_step import found_identities
from unreid.identities.crop_records import Crop
from unreid.identities.result_files import IdentityResult

logger = logging.getLogger(__name__)

JOIN_PERCENTILE = 5.0
"""Percentile of members' similarity to their own centroid that sets the default join threshold."""


@dataclass(frozen=True)
class IncrementalReport:
    """What adding crops changed."""

    threshold: float
    added: int
    joined: int
    new_identities: int
    founded_from_old: int
    """Old unassigned crops that now belong to a new identity."""
    changed: set[int]
    """Identities that gained members (new ones included)."""

    def lines(self) -> list[str]:
        return [f"added {self.added} crops: {self.joined} joined existing identities (cosine >= {self.threshold:.3f}), "
                f"{self.new_identities} new identities founded ({self.founded_from_old} old unassigned crops in them)"]


def leave_one_out_similarities(features: np.ndarray, identities: np.ndarray) -> np.ndarray:
    """``[A]`` cosine of each member of an identity of size >= 2 to the mean of the others."""
    member = identities >= 0  # [N]
    ids = identities[member]  # [A]
    sums = np.zeros((int(ids.max(initial=-1)) + 1, features.shape[1]), dtype=np.float64)  # [C, D]
    np.add.at(sums, ids, features[member])
    sizes = np.bincount(ids, minlength=sums.shape[0])  # [C]
    keep = sizes[ids] >= 2  # [A]
    others = sums[ids[keep]] - features[member][keep]  # [A', D]
    norms = np.maximum(np.linalg.norm(others, axis=1), 1e-12)  # [A']
    return np.einsum("ad,ad->a", features[member][keep], others) / norms  # [A']


def join_threshold(result: IdentityResult, *, percentile: float = JOIN_PERCENTILE) -> float:
    """The default join threshold of ``result`` (module docstring); ``inf`` without an identity of two crops."""
    similarities = leave_one_out_similarities(result.features, result.identities)
    if similarities.size == 0:
        return float("inf")
    return float(np.percentile(similarities, percentile))


def add_crops(
    result: IdentityResult, crops: list[Crop], features: np.ndarray, *, threshold: float | None = None,
    attach_similarity: float | None = None, center_cameras: bool = False, eps: float | None = None,
) -> tuple[IdentityResult, IncrementalReport]:
    """``result`` with ``crops`` (``features [M, D]``, unit) added (module docstring).

    Args:
        result: the existing identities.
        crops: the new crops, none of them already in ``result``.
        features: ``[M, D]`` their unit features from the model of ``result``.
        threshold: join threshold; ``None`` for :func:`join_threshold`.
        attach_similarity: as in :func:`~unreid.identities.assignment.assign_identities`,
            for crops still unassigned after the new clustering.
        center_cameras: centre each camera's features before clustering the rest.
        eps: the DBSCAN radius of the first run, reused for the rest; ``None`` derives one from them.

    Raises:
        ValueError: for a feature size that differs from the existing one's.
    """
    if features.shape[1] != result.features.shape[1]:
        raise ValueError(f"new features have {features.shape[1]} dimensions, the existing result "
                         f"{result.features.shape[1]}; embed with the model that built it")
    old_n, old_c = len(result.crops), result.num_identities
    limit = join_threshold(result) if threshold is None else threshold
    all_features = np.concatenate([result.features, features.astype(np.float32)])  # [N + M, D]
    all_crops = result.crops + crops
    nearest, similarity = nearest_centroids(features, result.centroids)  # [M], [M]
    new_ids = np.where(similarity >= limit, nearest, -1)  # [M]
    identities = np.concatenate([result.identities, new_ids])  # [N + M]
    pool = np.flatnonzero(identities < 0)  # old unassigned and new crops that joined nothing
    cameras = None
    if all(all_crops[i].camera is not None for i in pool):
        cameras = np.array([all_crops[i].camera for i in pool], dtype=np.int64)
    labels, _ = found_identities(all_features[pool], cameras=cameras, center_cameras=center_cameras, eps=eps)  # [P]
    founded = labels >= 0
    identities[pool[founded]] = old_c + labels[founded]
    num = old_c + int(labels.max(initial=-1)) + 1
    if attach_similarity is not None:
        centroids = identity_centroids(all_features, identities, num_identities=num)
        identities = attach_unassigned(all_features, identities, centroids, min_similarity=attach_similarity)
    centroids = identity_centroids(all_features, identities, num_identities=num)  # [C', D]
    gained = identities != np.concatenate([result.identities, np.full(len(crops), -1)])
    report = IncrementalReport(
        threshold=limit, added=len(crops), joined=int((new_ids >= 0).sum()), new_identities=num - old_c,
        founded_from_old=int((identities[:old_n][result.identities < 0] >= old_c).sum()),
        changed={int(i) for i in identities[gained & (identities >= 0)]},
    )
    merged = IdentityResult(crops=all_crops, identities=identities,
                            similarities=own_similarities(all_features, identities, centroids), centroids=centroids,
                            features=all_features, fingerprint=result.fingerprint)
    logger.info("%s", report.lines()[0])
    return merged, report
