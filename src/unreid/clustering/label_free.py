"""The one label-free clustering of a collection, for ``unreid identities`` and the page's identities view.

Training, identities and the page share the same settings, none tuned per collection:
``k1``, ``k2`` and ``min_samples`` from the collection size
(:func:`~unreid.clustering.neighbourhood_sizes.sizes_for_collection`) and DBSCAN's ``eps``
searched for the most clusters spanning cameras (:mod:`unreid.clustering.eps_search`),
i.e. ``cluster.neighbours=auto cluster.eps_policy=cross_camera``. From 200k crops on it works on the
features' 128 principal directions with an approximate kNN (:mod:`unreid.clustering.large_collections`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from unreid.clustering.large_collections import clustering_features
from unreid.clustering.neighbourhood_sizes import NeighbourhoodSizes, sizes_for_collection
from unreid.clustering.pseudo_labels import ClusteringSettings, PseudoLabels, cluster_features


@torch.no_grad()
def label_free_clustering(features: Tensor, *, cameras: Tensor | None,
                          eps: float | None = None) -> tuple[PseudoLabels, NeighbourhoodSizes]:
    """Labels of ``features [N, D]`` (``N >= 2``) with the label-free settings, and the sizes used.

    Args:
        features: ``[N, D]`` features.
        cameras: ``[N]`` camera ids (``None`` or one camera: the search counts clusters).
        eps: a radius to reuse instead of searching one (e.g. when new crops join an earlier result).
    """
    sizes = sizes_for_collection(features.shape[0])
    settings = ClusteringSettings(k1=sizes.k1, k2=sizes.k2, min_samples=sizes.min_samples,
                                  eps=0.5 if eps is None else eps, eps_search=eps is None)
    result = cluster_features(clustering_features(features.float()), settings, cameras=cameras)
    return result, sizes
