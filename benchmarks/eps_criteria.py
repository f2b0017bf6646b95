"""Label-free ways to choose DBSCAN's eps, judged by pair F-score on saved training features.

usage: python benchmarks/eps_criteria.py FEATURES.npy [--people 50,150,501] [--seed 0] [--centre] [-v]

FEATURES.npy is a ``train.save_features`` dump (``OUTPUT_DIR/features/epoch_XXX.npy`` with its
``records.tsv``). For random subsets of the people (the collection sizes), the features are clustered with
the label-free neighbourhood sizes (``cluster.neighbours=auto``) and DBSCAN at every radius of a grid; the
labels in the file names only *judge* each criterion's choice: the best radius by pair F (the oracle), the
rho rule (``cluster.eps_policy=auto``), the radius with the most clusters, and the radius with the most
clusters spanning two or more cameras (``cluster.eps_policy=cross_camera``).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.dbscan import dbscan_with_core
from unreid.clustering.eps_policy import eps_from_distances
from unreid.clustering.eps_search import cross_camera_clusters
from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
from unreid.clustering.label_quality import label_quality
from unreid.clustering.neighbourhood_sizes import sizes_for_collection
from unreid.engine.feature_dump import load_epoch_features

GRID = np.round(np.arange(0.2, 0.81, 0.025), 3)


def _f1(quality: dict[str, float]) -> float:
    p, r = quality["precision"], quality["recall"]
    return 2 * p * r / max(1e-9, p + r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("features")
    parser.add_argument("--people", default="50,150,501", help="subset sizes in people (comma-separated)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--centre", action="store_true", help="centre each camera's features first")
    parser.add_argument("-v", action="store_true", help="print every radius")
    args = parser.parse_args()
    torch.set_num_threads(1)
    raw, records = load_epoch_features(args.features)
    x_all = torch.from_numpy(raw.astype(np.float32))  # [N, D]
    pid = np.array([r.person_id for r in records])
    cam_all = np.array([r.camera_id for r in records])
    if args.centre:
        x_all = center_per_camera(x_all, torch.from_numpy(cam_all))
    rng = np.random.default_rng(args.seed)
    for people in (int(p) for p in args.people.split(",")):
        chosen = rng.choice(np.unique(pid), size=min(people, len(np.unique(pid))), replace=False)
        idx = np.flatnonzero(np.isin(pid, chosen))
        cams, truth = torch.from_numpy(cam_all[idx]), pid[idx].tolist()
        sizes = sizes_for_collection(len(idx))
        distances = jaccard_distance_sparse(x_all[idx], k1=sizes.k1, k2=sizes.k2, max_distance=1.0)
        rho = min(eps_from_distances(distances, rho=1.6e-3), 0.999)
        rows = []
        for eps in [*GRID.tolist(), rho]:
            labels = dbscan_with_core(distances, eps=float(eps), min_samples=sizes.min_samples)[0]
            rows.append((float(eps), int(labels.max()) + 1, cross_camera_clusters(labels, cams),
                         _f1(label_quality(labels, truth))))
        grid = rows[:-1]
        best = max(grid, key=lambda r: r[3])
        count = max(grid, key=lambda r: (r[1], -r[0]))
        cross = max(grid, key=lambda r: (r[2], -r[0]))
        print(f"people {people:4d} crops {len(idx):5d} k1 {sizes.k1} min_samples {sizes.min_samples} | "
              f"oracle eps {best[0]:.3f} F {best[3]:.3f} | rho eps {rows[-1][0]:.3f} F {rows[-1][3]:.3f} | "
              f"most clusters eps {count[0]:.3f} F {count[3]:.3f} | most cross-camera eps {cross[0]:.3f} F {cross[3]:.3f}",
              flush=True)
        if args.v:
            for eps, clusters, across, f in grid:
                print(f"    eps {eps:.3f} clusters {clusters:5d} across cameras {across:5d} F {f:.3f}")


if __name__ == "__main__":
    main()
