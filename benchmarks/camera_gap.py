"""Camera-gap remedies for the label-free clustering, judged by pair F-score on saved training features.

usage: python benchmarks/camera_gap.py FEATURES.npy [FEATURES.npy ...]

Each file is a ``train.save_features`` dump (``OUTPUT_DIR/features/epoch_XXX.npy`` with its ``records.tsv``).
Every file is clustered with the label-free settings (``cluster.neighbours=auto cluster.eps_policy=cross_camera``)
three ways: as is (``base``); after per-camera centring (``centre``, ``cluster.camera_centering``); and with each
same-camera kNN similarity lowered by the median camera gap (``dgap``: the median over crops of the best
same-camera similarity minus the best other-camera one). Person ids only judge (pair P/R/F); ``cc`` is the
criterion the eps search maximises (clusters spanning two or more cameras).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.eps_search import cross_camera_clusters, search_eps
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.label_quality import label_quality
from unreid.clustering.neighbourhood_sizes import sizes_for_collection
from unreid.engine.feature_dump import load_epoch_features


def penalised_knn(x: Tensor, cameras: Tensor, *, k: int, penalty: float) -> tuple[Tensor, Tensor]:
    """kNN ``(similarities, indices)`` ``[N, k]`` with every same-camera similarity lowered by ``penalty``."""
    sim = x @ x.T  # [N, N]
    sim = sim - penalty * (cameras[:, None] == cameras[None, :]).float()  # [N, N]
    idx = torch.arange(x.shape[0])
    sim[idx, idx] = float("inf")  # self first
    values, indices = sim.topk(k, dim=1)  # [N, k]
    values[:, 0] = 1.0 - penalty
    return values, indices


def camera_gap(x: Tensor, cameras: Tensor) -> float:
    """Median over crops of (best same-camera similarity, self excluded) - (best other-camera similarity)."""
    sim = x @ x.T  # [N, N]
    sim.fill_diagonal_(-2.0)
    same = cameras[:, None] == cameras[None, :]  # [N, N]
    gap = sim.masked_fill(~same, -2.0).max(1).values - sim.masked_fill(same, -2.0).max(1).values  # [N]
    return float(gap.median())


def study(path: str) -> str:
    raw, records = load_epoch_features(Path(path))
    x = F.normalize(torch.from_numpy(raw.astype(np.float32)), dim=1)  # [N, D]
    pid = torch.tensor([r.person_id for r in records])
    cam = torch.tensor([r.camera_id for r in records])
    sizes = sizes_for_collection(x.shape[0])
    gap = camera_gap(x, cam)
    parts = [f"{path.split('/')[-3]}/{path.split('/')[-1]} gap med {gap:.3f}"]
    for name, feats, penalty in (("base", x, 0.0), ("centre", center_per_camera(x, cam), 0.0), ("dgap", x, gap)):
        knn = penalised_knn(feats, cam, k=sizes.k1, penalty=penalty) if penalty > 0 else None
        dist = jaccard_distance_sparse(feats, k1=sizes.k1, k2=sizes.k2, neighbours=knn)
        eps, labels, _ = search_eps(dist, cameras=cam, min_samples=sizes.min_samples)
        q = label_quality(labels, pid)
        parts.append(f"{name}: eps {eps:.3f} P {q['precision']:.2f} R {q['recall']:.2f} F {q['f_score']:.3f} "
                     f"cc {cross_camera_clusters(labels, cam)}")
    return " | ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("features", nargs="+")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    torch.set_num_threads(1)
    for path in args.features:
        print(study(path), flush=True)


if __name__ == "__main__":
    main()
