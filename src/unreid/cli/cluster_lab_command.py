"""``unreid cluster-lab FEATURES.npy``: sweep eps, k1 and min_samples (and Infomap's settings) on
saved training features.

Features come from a run with ``--set train.save_features=true`` (``OUTPUT_DIR/features/
epoch_XXX.npy`` beside ``records.tsv``) or from ``unreid extract --subset train`` (``feats.npy``
beside ``feats.records.json``). Prints one line per setting (clusters, outliers, largest cluster
and, where identities are known, pseudo-label quality), and optionally writes the table as CSV and
a plot of cluster count and F-score against eps.
"""

from __future__ import annotations

import argparse
import csv
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SCORES = ["clusters", "outliers", "size_max", "precision", "recall", "f_score", "nmi", "false_merge_same_camera"]
COLUMNS = ["k1", "eps", "rho", "min_samples", *SCORES]
INFOMAP_COLUMNS = ["k", "min_similarity", "min_size", *SCORES]
COUNTS = ("clusters", "outliers", "size_max", "k1", "min_samples", "k", "min_size")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cluster-lab", help="sweep clustering settings on saved training features (CPU, seconds)")
    parser.add_argument("features", type=Path,
                        help="an epoch_XXX.npy written by train.save_features, or a feats.npy of `unreid extract`")
    parser.add_argument("--eps", type=float, nargs="+", default=[0.4, 0.5, 0.55, 0.6, 0.65, 0.7])
    parser.add_argument("--k1", type=int, nargs="+", default=[20, 30])
    parser.add_argument("--k2", type=int, default=6)
    parser.add_argument("--min-samples", type=int, nargs="+", default=[4])
    parser.add_argument("--rho", type=float, nargs="*", default=[], help="also derive eps from the data with these rho")
    parser.add_argument("--camera-centering", action="store_true", help="centre features per camera first")
    parser.add_argument("--infomap-k", type=int, nargs="*", default=[],
                        help="also sweep cluster.algorithm=infomap with these neighbour counts")
    parser.add_argument("--infomap-min-similarity", type=float, nargs="+", default=[0.5, 0.6, 0.7])
    parser.add_argument("--infomap-min-size", type=int, nargs="+", default=[2])
    parser.add_argument("--csv", type=Path, default=None, help="write the table here")
    parser.add_argument("--plot", type=Path, default=None, help="write clusters and F-score against eps here (.png)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    import torch

    from unreid.clustering.parameter_sweep import ClusteringGrid, sweep_clustering, sweep_infomap

    features, records = _load(args.features)
    truth = [r.person_id for r in records]
    known = min(truth) >= 0
    cameras = [r.camera_id for r in records]
    matrix = torch.from_numpy(features).float()  # [N, D]
    start = time.perf_counter()
    grid = ClusteringGrid(k1_values=args.k1, eps_values=args.eps, min_samples_values=args.min_samples, k2=args.k2,
                          auto_rho_values=args.rho)
    rows = sweep_clustering(matrix, grid, truth=truth if known else None, cameras=cameras,
                            camera_centering=args.camera_centering)
    infomap_rows = sweep_infomap(
        matrix, k_values=args.infomap_k, min_similarity_values=args.infomap_min_similarity,
        min_size_values=args.infomap_min_size, truth=truth if known else None, cameras=cameras,
    ) if args.infomap_k else []
    elapsed = time.perf_counter() - start
    identities = len(set(truth)) if known else None
    print(f"{args.features}: {features.shape[0]} features x {features.shape[1]}"
          + (f", {identities} true identities" if identities else ", identities unknown"))
    _print_table(rows, COLUMNS)
    if infomap_rows:
        print("cluster.algorithm=infomap:")
        _print_table(infomap_rows, INFOMAP_COLUMNS)
    print(f"{len(rows) + len(infomap_rows)} settings in {elapsed:.1f} s")
    if args.csv:
        fields = list(dict.fromkeys(key for row in rows + infomap_rows for key in row))
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(rows + infomap_rows)
    if args.plot:
        _plot(rows, args.plot, identities)
    return 0


def _load(path: Path) -> tuple[Any, list[Any]]:
    """Features and records of a ``train.save_features`` dump or of an ``unreid extract`` pair."""
    from unreid.engine.feature_dump import load_epoch_features
    from unreid.retrieval.feature_file import load_features, records_path

    if path.suffix == ".npy" and records_path(path).is_file():
        loaded = load_features(path)
        return loaded.features, loaded.records
    return load_epoch_features(path)


def _print_table(rows: list[dict[str, float]], columns: list[str]) -> None:
    columns = [c for c in columns if c in rows[0]]
    print(" | ".join(f"{c:>8}" for c in columns))
    for row in rows:
        print(" | ".join(f"{int(row[c]):8d}" if c in COUNTS else f"{row[c]:8.3f}" for c in columns))


def _plot(rows: list[dict[str, float]], path: Path, identities: int | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fixed = [r for r in rows if r["rho"] == 0]
    fig, axes = plt.subplots(1, 2 if identities else 1, figsize=(10 if identities else 5, 3.5), squeeze=False)
    for key in sorted({(r["k1"], r["min_samples"]) for r in fixed}):
        line = sorted((r for r in fixed if (r["k1"], r["min_samples"]) == key), key=lambda r: r["eps"])
        label = f"k1={key[0]} min_samples={key[1]}"
        axes[0, 0].plot([r["eps"] for r in line], [r["clusters"] for r in line], marker="o", label=label)
        if identities:
            axes[0, 1].plot([r["eps"] for r in line], [r["f_score"] for r in line], marker="o", label=label)
    if identities:
        axes[0, 0].axhline(identities, color="grey", linestyle="--", label="true identities")
        axes[0, 1].set(xlabel="eps", ylabel="pairwise F-score")
    axes[0, 0].set(xlabel="eps", ylabel="clusters")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    logger.info("saved %s", path)
