"""From cluster labels to identities: centroids, similarity to them, and attaching the unassigned.

DBSCAN leaves the crops of sparse regions unlabelled (``-1``); for a collection that is the
honest answer ("unassigned"), so nothing is attached by default. With ``attach_similarity``
an unassigned crop joins the identity whose centroid is nearest when their cosine similarity
reaches that value; centroids are those of the clustered crops (attached crops do not pull
them), then recomputed over all members for the output. A centroid is the L2-normalised mean
of its members' unit features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

UNASSIGNED = -1
"""Identity of a crop that belongs to no identity."""
CHUNK_ROWS = 4096
"""Crops compared with all centroids per matrix product (memory: ``CHUNK_ROWS x C`` floats)."""


@dataclass(frozen=True)
class IdentityAssignment:
    """Identities of ``N`` crops.

    Attributes:
        identities: ``[N]`` int64 identity ids, :data:`UNASSIGNED` for none.
        similarities: ``[N]`` float32 cosine similarity to the own identity's centroid, NaN when unassigned.
        centroids: ``[C, D]`` float32 unit centroids, row ``c`` for identity ``c``.
        attached: crops attached by ``attach_similarity``.
    """

    identities: np.ndarray
    similarities: np.ndarray
    centroids: np.ndarray
    attached: int = 0


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)  # [R, 1]
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def identity_centroids(features: np.ndarray, identities: np.ndarray, *, num_identities: int) -> np.ndarray:
    """``[C, D]`` unit mean feature of each identity ``0..C-1`` (a zero row for one with no member).

    Args:
        features: ``[N, D]`` unit features.
        identities: ``[N]`` ids in ``[-1, C)``; ``-1`` rows are ignored.
        num_identities: ``C``.
    """
    sums = np.zeros((num_identities, features.shape[1]), dtype=np.float64)  # [C, D]
    member = identities >= 0  # [N]
    np.add.at(sums, identities[member], features[member])
    return _unit(sums)


def own_similarities(features: np.ndarray, identities: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``[N]`` cosine similarity of each crop to its identity's centroid; NaN for unassigned crops."""
    similarities = np.full(features.shape[0], np.nan, dtype=np.float32)  # [N]
    member = identities >= 0  # [N]
    similarities[member] = np.einsum("nd,nd->n", features[member], centroids[identities[member]])
    return similarities


def nearest_centroids(features: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(index [M], similarity [M])`` of the nearest of ``centroids [C, D]`` for each of ``features [M, D]``."""
    index = np.full(features.shape[0], UNASSIGNED, dtype=np.int64)  # [M]
    best = np.full(features.shape[0], -np.inf, dtype=np.float32)  # [M]
    if centroids.shape[0] == 0:
        return index, best
    for start in range(0, features.shape[0], CHUNK_ROWS):
        scores = features[start : start + CHUNK_ROWS] @ centroids.T  # [B, C]
        index[start : start + CHUNK_ROWS] = scores.argmax(axis=1)
        best[start : start + CHUNK_ROWS] = scores.max(axis=1)
    return index, best


def attach_unassigned(
    features: np.ndarray, identities: np.ndarray, centroids: np.ndarray, *, min_similarity: float
) -> np.ndarray:
    """A copy of ``identities`` where each unassigned crop whose nearest centroid has cosine
    similarity ``>= min_similarity`` takes that centroid's identity."""
    result = identities.copy()
    unassigned = np.flatnonzero(identities < 0)  # [U]
    nearest, similarity = nearest_centroids(features[unassigned], centroids)  # [U], [U]
    close = similarity >= min_similarity  # [U]
    result[unassigned[close]] = nearest[close]
    return result


def assign_identities(
    features: np.ndarray, cluster_labels: np.ndarray, *, attach_similarity: float | None = None
) -> IdentityAssignment:
    """Identities of crops from their cluster labels (``-1`` = outlier), optionally attaching outliers.

    Args:
        features: ``[N, D]`` unit features.
        cluster_labels: ``[N]`` labels in ``[-1, C)``, every id of ``0..C-1`` used.
        attach_similarity: attach an unassigned crop to its nearest centroid at this cosine
            similarity or above; ``None`` attaches nothing.

    Raises:
        ValueError: for mismatched lengths or a similarity outside ``[-1, 1]``.
    """
    labels = np.asarray(cluster_labels, dtype=np.int64)
    if labels.shape != (features.shape[0],):
        raise ValueError(f"assign_identities: {features.shape[0]} features but {labels.size} labels")
    if attach_similarity is not None and not -1.0 <= attach_similarity <= 1.0:
        raise ValueError(f"attach similarity {attach_similarity} must lie in [-1, 1] (a cosine similarity)")
    features = features.astype(np.float32, copy=False)
    num = int(labels.max(initial=-1)) + 1
    centroids = identity_centroids(features, labels, num_identities=num)  # [C, D]
    identities = labels
    if attach_similarity is not None:
        identities = attach_unassigned(features, labels, centroids, min_similarity=attach_similarity)
        centroids = identity_centroids(features, identities, num_identities=num)  # [C, D]
    attached = int(((labels < 0) & (identities >= 0)).sum())
    if attach_similarity is not None:
        logger.info("attached %d of %d unassigned crops (cosine >= %.2f)", attached, int((labels < 0).sum()),
                    attach_similarity)
    return IdentityAssignment(identities=identities, similarities=own_similarities(features, identities, centroids),
                              centroids=centroids, attached=attached)
