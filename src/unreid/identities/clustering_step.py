"""The label-free clustering of a collection: neighbourhood sizes from its size, ``eps`` from its distances.

Nobody who runs ``unreid identities`` on their own crops knows how many crops a person has,
so nothing here is tuned per collection: ``k1``, ``k2`` and ``min_samples`` come from
:func:`unreid.clustering.neighbourhood_sizes.sizes_for_collection` and DBSCAN's ``eps`` from
the distances (``cluster.auto_rho`` of the configuration schema, the rule of
:mod:`unreid.clustering.eps_policy`). Optionally each camera's mean feature is removed first
(:func:`unreid.clustering.camera_centering.center_per_camera`); only the clustering sees the
centred features.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.neighbourhood_sizes import sizes_for_collection
from unreid.clustering.pseudo_labels import cluster_features
from unreid.config.schema import ClusterConfig

logger = logging.getLogger(__name__)

AUTO_EPS_RHO = ClusterConfig().auto_rho
"""``rho`` of the automatic ``eps`` (the schema's ``cluster.auto_rho``)."""


def found_identities(features: np.ndarray, *, cameras: np.ndarray | None = None, eps: float | None = None,
                     ) -> tuple[np.ndarray, float | None]:
    """``([N] cluster labels (-1 = unassigned), eps used)`` of ``features [N, D]`` with the label-free settings.

    Args:
        features: ``[N, D]`` unit features.
        cameras: ``[N]`` camera ids to centre each camera's features before clustering, or ``None``.
        eps: a DBSCAN radius to reuse (``--into`` reuses the first run's, since the crops left
            over for clustering there are no sample from which to derive one), ``None`` to derive it.

    Fewer than 4 crops cannot form a DBSCAN neighbourhood worth the name: all stay unassigned.
    """
    n = features.shape[0]
    if n < 4:
        logger.info("%d crop(s) to cluster: too few to found identities; left unassigned", n)
        return np.full(n, -1, dtype=np.int64), eps
    sizes = sizes_for_collection(n)
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))  # [N, D]
    if cameras is not None:
        x = center_per_camera(x, torch.from_numpy(np.asarray(cameras, dtype=np.int64)))  # [N, D]
    result = cluster_features(x, k1=sizes.k1, k2=sizes.k2, min_samples=sizes.min_samples,
                              eps=0.0 if eps is None else eps, auto_eps_rho=AUTO_EPS_RHO if eps is None else 0.0)
    logger.info("label-free clustering of %d crops: k1 %d, k2 %d, min_samples %d, eps %.3f -> %d identities, "
                "%d unassigned", n, sizes.k1, sizes.k2, sizes.min_samples, result.eps, result.num_clusters,
                result.num_outliers)
    return result.labels.cpu().numpy().astype(np.int64), result.eps
