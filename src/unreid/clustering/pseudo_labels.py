"""Pseudo-labels for unsupervised re-ID: k-reciprocal Jaccard distance, then DBSCAN.

The clustering step of Cluster Contrast (Dai et al., "Cluster Contrast for Unsupervised
Person Re-Identification", ACCV 2022) and SpCL (Ge et al., NeurIPS 2020): the Jaccard
distance of Zhong et al. (CVPR 2017) between L2-normalised features, clustered by DBSCAN
(Ester et al., KDD 1996); DBSCAN's noise points are the outliers, left unlabelled (-1).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from enum import Enum

import torch
from torch import Tensor

from unreid.clustering.dbscan import NOISE, dbscan_with_core
from unreid.clustering.eps_policy import eps_from_distances
from unreid.clustering.eps_search import largest_radius, search_eps
from unreid.clustering.jaccard_dense import jaccard_distance_dense
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.knn import KnnBackend
from unreid.clustering.sparse_distances import MISSING_DISTANCE, SparseDistances

logger = logging.getLogger(__name__)


class JaccardMethod(str, Enum):
    """Which Jaccard distance implementation :func:`cluster_features` uses."""

    SPARSE = "sparse"
    """:func:`jaccard_distance_sparse`: ``O(N k)`` memory, the default."""
    DENSE = "dense"
    """:func:`jaccard_distance_dense`: ``O(N^2)`` reference, for small ``N``."""


@dataclass(frozen=True)
class PseudoLabels:
    """The result of one clustering round.

    Attributes:
        labels: ``[N]`` int64 cluster ids in ``[0, num_clusters)``, ``-1`` for outliers, on
            the features' device.
        num_clusters: ``C``.
        num_outliers: number of ``-1`` labels.
        timings: seconds per stage, keys ``"jaccard"`` (kNN included) and ``"dbscan"``.
        core: ``[N]`` bool, DBSCAN core points (the confident members of their clusters).
        eps: the DBSCAN radius used (the configured one, or the one derived from the data).
    """

    labels: Tensor
    num_clusters: int
    num_outliers: int
    timings: dict[str, float] = field(default_factory=dict)
    core: Tensor | None = None
    eps: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ClusteringSettings:
    """How :func:`cluster_features` clusters (Cluster Contrast's defaults).

    Attributes:
        k1: k-reciprocal neighbourhood size.
        k2: local query expansion size.
        eps: DBSCAN radius on the Jaccard distance.
        min_samples: DBSCAN core-point threshold (self included).
        method: see :class:`JaccardMethod`.
        knn_backend: kNN search for the sparse method (the dense reference always uses torch).
        auto_eps_rho: when positive, ``eps`` is ignored and derived from the distances by
            :func:`~unreid.clustering.eps_policy.eps_from_distances` with this ``rho``.
        eps_search: ``eps`` is ignored and searched for: the radius with the most clusters that span
            the cameras (:func:`~unreid.clustering.eps_search.search_eps`).

    Raises:
        ValueError: for an unknown method or a negative ``eps``.
    """

    k1: int = 30
    k2: int = 6
    eps: float = 0.6
    min_samples: int = 4
    method: JaccardMethod | str = JaccardMethod.SPARSE
    knn_backend: KnnBackend | str = KnnBackend.AUTO
    auto_eps_rho: float = 0.0
    eps_search: bool = False

    def __post_init__(self) -> None:
        try:
            JaccardMethod(self.method)
        except ValueError as error:
            raise ValueError(f"method={self.method!r}; valid values: {[m.value for m in JaccardMethod]}") from error
        if self.eps < 0:
            raise ValueError(f"eps={self.eps} must be >= 0")


_DEFAULT_SETTINGS = ClusteringSettings()


def cluster_features(
    features: Tensor, settings: ClusteringSettings = _DEFAULT_SETTINGS, *, cameras: Tensor | None = None
) -> PseudoLabels:
    """Jaccard distance + DBSCAN pseudo-labels of ``features``.

    Args:
        features: ``[N, D]`` features (L2-normalised here); any device.
        settings: neighbourhood sizes, DBSCAN's radius (fixed, derived or searched) and the Jaccard method.
        cameras: ``[N]`` camera ids for ``settings.eps_search`` (``None``: the most clusters).

    Example:
        >>> features = torch.nn.functional.normalize(torch.randn(40, 8), dim=1)
        >>> result = cluster_features(features, ClusteringSettings(k1=6, k2=2, eps=0.5, min_samples=2))
        >>> result.labels.shape
        torch.Size([40])
    """
    s = settings
    method, eps = JaccardMethod(s.method), s.eps  # eps: the configured radius until derived or searched
    device = features.device
    start = time.perf_counter()
    distances: SparseDistances | Tensor
    if method is JaccardMethod.DENSE:
        distances = jaccard_distance_dense(features, k1=s.k1, k2=s.k2)
    else:
        # DBSCAN only looks at pairs within eps (the search: within its largest radius): store nothing else
        # (exact, far less memory). The rho rule reads every pair.
        reach = largest_radius() if s.eps_search else eps
        max_distance = MISSING_DISTANCE if s.auto_eps_rho > 0 else min(reach, MISSING_DISTANCE)
        distances = jaccard_distance_sparse(features, k1=s.k1, k2=s.k2, knn_backend=s.knn_backend,
                                            max_distance=max_distance)
    _synchronize(device)
    middle = time.perf_counter()
    if s.eps_search:
        eps, labels, core = search_eps(distances, cameras=cameras, min_samples=s.min_samples)  # [N], [N]
    else:
        if s.auto_eps_rho > 0:
            eps = min(eps_from_distances(distances, rho=s.auto_eps_rho), 0.999)
        labels, core = dbscan_with_core(distances, eps=eps, min_samples=s.min_samples)  # [N], [N]
    num_clusters = int(labels.max()) + 1 if labels.numel() else 0
    num_outliers = int((labels == NOISE).sum())
    end = time.perf_counter()
    timings = {"jaccard": middle - start, "dbscan": end - middle}
    logger.info(
        "clustered %d samples (%s Jaccard, eps %.3f): %d clusters, %d outliers; jaccard %.2fs, dbscan %.2fs",
        features.shape[0],
        method.value,
        eps,
        num_clusters,
        num_outliers,
        timings["jaccard"],
        timings["dbscan"],
    )
    return PseudoLabels(
        labels=labels, num_clusters=num_clusters, num_outliers=num_outliers, timings=timings, core=core, eps=eps
    )


def _synchronize(device: torch.device) -> None:
    """Wait for queued kernels so stage timings are real on asynchronous devices."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
