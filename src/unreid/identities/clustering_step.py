"""The label-free clustering of a collection: neighbourhood sizes from its size, ``eps`` from its distances.

Nobody who runs ``unreid identities`` on their own crops knows how many crops a person has,
so nothing here is tuned per collection: :func:`unreid.clustering.label_free.label_free_clustering`
(``k1``, ``k2`` and ``min_samples`` from the collection size, DBSCAN's ``eps`` searched for the
most clusters spanning cameras), the settings training uses with ``cluster.neighbours=auto
cluster.eps_policy=cross_camera``.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.label_free import label_free_clustering
from unreid.clustering.tracklets import tracklet_units

logger = logging.getLogger(__name__)

def found_identities(features: np.ndarray, *, cameras: np.ndarray | None = None, center_cameras: bool = False,
                     eps: float | None = None, tracks: np.ndarray | None = None) -> tuple[np.ndarray, float | None]:
    """``([N] cluster labels (-1 = unassigned), eps used)`` of ``features [N, D]`` with the label-free settings.

    Args:
        features: ``[N, D]`` unit features.
        cameras: ``[N]`` camera ids (the radius search counts clusters spanning them), or ``None``.
        center_cameras: remove each camera's mean feature before clustering (with ``cameras``).
        eps: a DBSCAN radius to reuse (``--into`` reuses the first run's, since the crops left
            over for clustering there are no sample from which to derive one), ``None`` to derive it.
        tracks: ``[N]`` track ids (``-1``: none), or ``None``: the crops of one track are clustered as one
            unit and share its identity (:mod:`unreid.clustering.tracklets`).

    Fewer than 4 crops (or units) cannot form a DBSCAN neighbourhood worth the name: all stay unassigned.
    """
    n = features.shape[0]
    if n < 4:
        logger.info("%d crop(s) to cluster: too few to found identities; left unassigned", n)
        return np.full(n, -1, dtype=np.int64), eps
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))  # [N, D]
    camera_ids = None if cameras is None else torch.from_numpy(np.asarray(cameras, dtype=np.int64))  # [N]
    if center_cameras and camera_ids is not None:
        x = center_per_camera(x, camera_ids)  # [N, D]
    units = None if tracks is None else tracklet_units(x, torch.from_numpy(np.asarray(tracks, dtype=np.int64)),
                                                        cameras=camera_ids)
    if units is not None:
        logger.info("%d crops in %d units (the crops of one track are one unit)", n, units.num_units)
        if units.num_units < 4:
            logger.info("%d unit(s) to cluster: too few to found identities; left unassigned", units.num_units)
            return np.full(n, -1, dtype=np.int64), eps
        x, camera_ids = units.features, units.cameras  # [U, D], [U]
    result, sizes = label_free_clustering(x, cameras=camera_ids, eps=eps)
    if units is not None:
        result = units.expand(result)  # [U] labels -> [N]
    logger.info("label-free clustering of %d crops: k1 %d, k2 %d, min_samples %d, eps %.3f -> %d identities, "
                "%d unassigned", n, sizes.k1, sizes.k2, sizes.min_samples, result.eps, result.num_clusters,
                result.num_outliers)
    return result.labels.cpu().numpy().astype(np.int64), result.eps
