"""Pseudo-label quality against ground truth, for diagnostics when identities happen to be known.

Pairwise precision/recall/F-score count pairs of samples put in the same cluster (as in
the clustering evaluations of e.g. Lin et al., "A Bottom-up Clustering Approach to
Unsupervised Person Re-identification", AAAI 2019); NMI (Strehl & Ghosh, JMLR 2002) and ARI
(Hubert & Arabie, J. Classification 1985) come from scikit-learn. Everything is computed
from the contingency table, in ``O(N)`` memory: pairs in a group of size ``m`` are
``m (m - 1) / 2``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from torch import Tensor

logger = logging.getLogger(__name__)


def label_quality(pseudo: Sequence[int] | Tensor, truth: Sequence[int] | Tensor) -> dict[str, float]:
    """Agreement of pseudo-labels with true identities.

    Negative labels (DBSCAN outliers, ``-1``) are singletons: each is its own cluster, so it
    forms no pair. A ratio with no pairs in its denominator is reported as 0.

    Args:
        pseudo: ``[N]`` predicted cluster ids.
        truth: ``[N]`` true identities.

    Returns:
        ``precision`` (same-cluster pairs that share an identity), ``recall`` (same-identity
        pairs that share a cluster), ``f_score`` (their harmonic mean), ``nmi`` and ``ari``.

    Raises:
        ValueError: if the two label sequences differ in length.
    """
    predicted, actual = _as_labels(pseudo), _as_labels(truth)
    if predicted.shape != actual.shape:
        raise ValueError(f"pseudo has {predicted.size} labels but truth has {actual.size}")
    _, predicted = np.unique(predicted, return_inverse=True)
    _, actual = np.unique(actual, return_inverse=True)
    _, joint = np.unique(predicted * (actual.max(initial=0) + 1) + actual, return_counts=True)
    together = _pairs(joint)  # same cluster and same identity
    predicted_pairs = _pairs(np.bincount(predicted))
    actual_pairs = _pairs(np.bincount(actual))
    precision = together / predicted_pairs if predicted_pairs else 0.0
    recall = together / actual_pairs if actual_pairs else 0.0
    f_score = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f_score": float(f_score),
        "nmi": float(normalized_mutual_info_score(actual, predicted)),
        "ari": float(adjusted_rand_score(actual, predicted)),
    }


def false_merge_camera_share(
    pseudo: Sequence[int] | Tensor, truth: Sequence[int] | Tensor, cameras: Sequence[int] | Tensor
) -> float:
    """Of the wrongly merged pairs (same cluster, different identity), the share seen by one camera.

    A high share says DBSCAN merges people because a camera's style (background, colour
    cast) dominates the features; a low share says it merges look-alikes across cameras.
    Outliers form no pairs. Returns 0 when there is no wrongly merged pair.

    Args:
        pseudo: ``[N]`` predicted cluster ids (``-1`` = outlier).
        truth: ``[N]`` true identities.
        cameras: ``[N]`` camera ids.
    """
    predicted, actual, camera = _as_labels(pseudo), _as_labels(truth), _as_labels(cameras)
    if not predicted.shape == actual.shape == camera.shape:
        raise ValueError(f"pseudo, truth and cameras differ in length: {predicted.size}, {actual.size}, {camera.size}")

    def pairs_within(*keys: np.ndarray) -> int:
        _, joint = np.unique(np.stack(keys, axis=1), axis=0, return_counts=True)
        return _pairs(joint)

    wrong = pairs_within(predicted) - pairs_within(predicted, actual)
    wrong_same_camera = pairs_within(predicted, camera) - pairs_within(predicted, camera, actual)
    return wrong_same_camera / wrong if wrong else 0.0


def _as_labels(labels: Sequence[int] | Tensor) -> np.ndarray:
    """int64 numpy labels with every negative label replaced by a fresh singleton id."""
    array = labels.detach().cpu().numpy() if isinstance(labels, Tensor) else np.asarray(labels)
    array = array.astype(np.int64).reshape(-1).copy()
    negative = array < 0
    array[negative] = array.max(initial=-1) + 1 + np.arange(int(negative.sum()))
    return array


def _pairs(group_sizes: np.ndarray) -> int:
    """Number of unordered pairs within groups of the given sizes."""
    sizes = group_sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())
