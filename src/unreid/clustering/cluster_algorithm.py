"""Which clusterer makes the pseudo-labels (``cluster.algorithm``)."""

from __future__ import annotations

from enum import Enum


class ClusterAlgorithm(str, Enum):
    """The clusterer of :class:`~unreid.engine.pseudo_labeller.ClusteringLabeller`."""

    DBSCAN = "dbscan"
    """k-reciprocal Jaccard distance + DBSCAN (:func:`~unreid.clustering.pseudo_labels.cluster_features`)."""
    INFOMAP = "infomap"
    """Infomap on a kNN similarity graph (:func:`~unreid.clustering.infomap_clustering.cluster_features_infomap`)."""
