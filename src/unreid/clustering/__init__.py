"""Pseudo-label clustering: k-reciprocal Jaccard distance (dense reference and sparse) + DBSCAN.

Public API:

* :func:`cluster_features` (with :class:`ClusteringSettings`) -> :class:`PseudoLabels` (the one call the trainer
  needs);
* :func:`knn` with :class:`KnnBackend`;
* :func:`jaccard_distance_dense` (reference) and :func:`jaccard_distance_sparse` ->
  :class:`SparseDistances`;
* :func:`dbscan` (labels identical to scikit-learn's);
* :func:`label_quality` (diagnostics against ground truth).
"""

from unreid.clustering.cluster_sizes import cluster_size_stats
from unreid.clustering.dbscan import NOISE, dbscan
from unreid.clustering.jaccard_dense import jaccard_distance_dense
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.knn import KnnBackend, faiss_available, knn
from unreid.clustering.label_quality import false_merge_camera_share, label_quality
from unreid.clustering.pseudo_labels import ClusteringSettings, JaccardMethod, PseudoLabels, cluster_features
from unreid.clustering.sparse_distances import SparseDistances

__all__ = [
    "NOISE",
    "ClusteringSettings",
    "JaccardMethod",
    "KnnBackend",
    "PseudoLabels",
    "SparseDistances",
    "cluster_features",
    "cluster_size_stats",
    "dbscan",
    "faiss_available",
    "false_merge_camera_share",
    "jaccard_distance_dense",
    "jaccard_distance_sparse",
    "knn",
    "label_quality",
]
