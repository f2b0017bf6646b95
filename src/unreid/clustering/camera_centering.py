"""Per-camera feature centring before clustering.

Each camera adds its own offset to every feature (background, colour cast, viewpoint),
so the nearest neighbours of an image are often other people *from the same camera*;
DBSCAN then merges them. The training log measures it: on the synthetic set and early
in training on Market-1501, most wrongly merged pairs share a camera
(``pl_false_merge_same_camera``). Subtracting each camera's mean feature and
re-normalising removes the shared offset, a label-free use of the camera id that comes
with every surveillance crop (cf. the camera-wise normalisation of Zhuang et al.,
"Rethinking the Distribution Gap of Person Re-identification with Camera-based Batch
Normalization", ECCV 2020). Only the clustering sees the centred features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def center_per_camera(features: Tensor, cameras: Tensor) -> Tensor:
    """``[N, D]`` features minus their camera's mean feature, L2-normalised.

    Args:
        features: ``[N, D]`` features.
        cameras: ``[N]`` integer camera ids (any non-negative values).
    """
    if features.shape[0] != cameras.shape[0]:
        raise ValueError(f"{features.shape[0]} features but {cameras.shape[0]} camera ids")
    features = F.normalize(features.float(), dim=1)  # [N, D]
    _, index = torch.unique(cameras.to(features.device), return_inverse=True)  # [N] in [0, K)
    num = int(index.max()) + 1 if index.numel() else 0
    sums = torch.zeros(num, features.shape[1], dtype=features.dtype, device=features.device)
    sums.index_add_(0, index, features)  # [K, D]
    counts = torch.bincount(index, minlength=num).clamp(min=1).unsqueeze(1)  # [K, 1]
    return F.normalize(features - (sums / counts)[index], dim=1)  # [N, D]
