"""Camera-entropy cluster weights: trust clusters that span cameras.

After the cluster weighting of 3C (Neurocomputing 2025): a cluster whose
members come from many cameras is unlikely to be one camera's look grouped as a person, so
its queries weigh more; a one-camera cluster, the typical false merge of unsupervised re-ID,
weighs least. The weight of cluster ``c`` is ``exp(H_c)``, with ``H_c`` the (natural log)
entropy of its members' cameras: 1 for one camera, ``k`` for ``k`` cameras in equal shares
(the effective number of cameras).

Per batch the queries' weights are divided by their mean, so the loss keeps its scale and
only the balance between clusters changes (a batch of equal weights gives the plain mean).
"""

from __future__ import annotations

import torch
from torch import Tensor


def cluster_camera_entropy(labels: Tensor, cameras: Tensor, num_clusters: int) -> Tensor:
    """``[C]`` entropy (nats) of each cluster's camera distribution; outliers and unknown cameras (``-1``) are ignored."""
    keep = (labels >= 0) & (cameras >= 0)  # [N]
    entropy = torch.zeros(num_clusters, dtype=torch.float32, device=labels.device)  # [C]
    if not bool(keep.any()):
        return entropy
    labs, cams = labels[keep], cameras[keep]  # [M], [M]
    num_cameras = int(cams.max().item()) + 1  # one host sync, once per epoch
    counts = torch.zeros(num_clusters * num_cameras, dtype=torch.float32, device=labels.device)
    counts.index_add_(0, labs * num_cameras + cams, torch.ones_like(labs, dtype=torch.float32))
    counts = counts.view(num_clusters, num_cameras)  # [C, cams]
    p = counts / counts.sum(dim=1, keepdim=True).clamp(min=1.0)  # [C, cams]
    return -torch.special.xlogy(p, p).sum(dim=1)  # [C]


def camera_entropy_weights(entropy: Tensor) -> Tensor:
    """``[C]`` unnormalised cluster weights ``exp(H_c)``."""
    return entropy.exp()  # [C]


def query_weights(entropy: Tensor, labels: Tensor) -> Tensor:
    """``[B]`` weight of each query (its cluster's ``exp(H)``), divided by the batch mean (mean weight 1)."""
    w = camera_entropy_weights(entropy)[labels]  # [B]
    return w / w.mean()  # [B]
