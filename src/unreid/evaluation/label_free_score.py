"""How good is a model, without a single label? Scores of the training features for model selection.

Published unsupervised re-ID numbers usually keep the epoch that test mAP liked; a person
with their own cameras has no test labels. Scores of the training features, each epoch:

* ``lf_cross_camera_clusters`` (the kept score where there are cameras): the number of
  clusters spanning two or more cameras, per training image, when the features are
  clustered with the label-free settings (:mod:`unreid.clustering.label_free`). Finding a
  person again in another camera is the task; a model that does it better lets more
  people form clusters across cameras. On market1501-dev it rose with mAP at every
  epoch of a run (RESULTS.md, "Choosing the checkpoint without labels"). The trainer scores
  the features as its labeller clusters them: centred per camera under
  ``cluster.camera_centering``, so the score's clustering is the next epoch's labels.
* ``lf_silhouette`` (the kept score without cameras): the simplified (centroid) silhouette
  of those clusters, ``(b - a) / max(a, b)`` with ``a`` the cosine distance to the own
  centroid and ``b`` to the nearest other centroid (Hruschka et al., 2004), outliers
  counting 0. It also rewards compact clusters of one camera.
* :func:`cross_camera_mutual_nn` (not logged each epoch: ``O(N^2)``; it followed mAP on a
  market1501-dev run but peaked at the untrained model on cuhk01-dev): the share of mutual
  nearest neighbours across cameras.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.eps_search import cross_camera_clusters
from unreid.clustering.label_free import label_free_clustering

SCORE_KEY = "lf_score"
"""The metrics-row key of the score that selects the kept checkpoint."""


@torch.no_grad()
def cross_camera_mutual_nn(features: Tensor, cameras: Tensor, *, chunk: int = 2048) -> float | None:
    """Share of images whose nearest other-camera neighbour has them as its nearest other-camera neighbour.

    Args:
        features: ``[N, D]`` features (normalised here).
        cameras: ``[N]`` camera ids.
        chunk: rows of the similarity matrix computed at once.

    Returns:
        The share in ``[0, 1]``, or ``None`` with fewer than two cameras.
    """
    if features.shape[0] != cameras.shape[0]:
        raise ValueError(f"{features.shape[0]} features but {cameras.shape[0]} camera ids")
    cameras = cameras.to(features.device)
    if torch.unique(cameras).numel() < 2:
        return None
    x = F.normalize(features.float(), dim=1)  # [N, D]
    nearest = torch.empty(x.shape[0], dtype=torch.long, device=x.device)  # [N]
    for start in range(0, x.shape[0], chunk):
        sim = x[start : start + chunk] @ x.T  # [c, N]
        same = cameras[start : start + chunk, None] == cameras[None, :]  # [c, N]
        nearest[start : start + chunk] = sim.masked_fill(same, -float("inf")).argmax(dim=1)  # [c]
    mutual = nearest[nearest] == torch.arange(x.shape[0], device=x.device)  # [N]
    return float(mutual.float().mean())


@torch.no_grad()
def centroid_silhouette(features: Tensor, labels: Tensor) -> float:
    """Mean simplified silhouette over all ``N`` images (outliers, label ``-1``, count 0).

    Args:
        features: ``[N, D]`` features (normalised here).
        labels: ``[N]`` cluster labels, ``-1`` for outliers.
    """
    x = F.normalize(features.float(), dim=1)  # [N, D]
    labels = labels.to(x.device)
    num = int(labels.max()) + 1 if labels.numel() else 0
    if num < 2:
        return 0.0
    member = labels >= 0  # [N]
    sums = torch.zeros(num, x.shape[1], device=x.device).index_add_(0, labels[member], x[member])  # [C, D]
    centroids = F.normalize(sums, dim=1)  # [C, D]
    dist = 1.0 - x[member] @ centroids.T  # [M, C]
    own = dist.gather(1, labels[member, None]).squeeze(1)  # [M]
    other = dist.scatter(1, labels[member, None], float("inf")).min(dim=1).values  # [M]
    silhouette = (other - own) / torch.maximum(own, other).clamp(min=1e-12)  # [M]
    return float(silhouette.sum() / x.shape[0])


def label_free_scores(features: Tensor, cameras: Tensor, *,
                      clustered: tuple[Tensor, float] | None = None) -> dict[str, float]:
    """``lf_cross_camera_clusters`` (with two or more cameras), ``lf_silhouette``, the radius used
    (``lf_eps``) and :data:`SCORE_KEY`: the cross-camera score where there are cameras, else the silhouette.

    Args:
        features: ``[N, D]`` features, ``N >= 2``.
        cameras: ``[N]`` camera ids.
        clustered: ``(labels [N], eps)`` of these features under the label-free settings, when the caller
            has them already (the training labeller with those settings); clustered here otherwise.
    """
    if clustered is None:
        result, _ = label_free_clustering(features, cameras=cameras)
        clustered = (result.labels, result.eps)
    labels, eps = clustered
    labels = labels.to(features.device)  # [N]
    scores = {"lf_silhouette": round(centroid_silhouette(features, labels), 5), "lf_eps": eps}
    if torch.unique(cameras).numel() >= 2:
        scores["lf_cross_camera_clusters"] = round(cross_camera_clusters(labels, cameras) / features.shape[0], 6)
    scores[SCORE_KEY] = scores.get("lf_cross_camera_clusters", scores["lf_silhouette"])
    return scores
