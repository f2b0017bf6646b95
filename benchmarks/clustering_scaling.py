"""How pseudo-label clustering scales with the number of images: kNN, sparse Jaccard, DBSCAN.

Synthetic re-ID-like features: ``N / images_per_id`` identities, each a random unit centre,
every image its centre plus isotropic Gaussian noise, L2-normalised (same-identity cosine
about 0.5, different identities about 0). For every size the stages of
:func:`unreid.clustering.cluster_features` are timed separately:

* ``knn``: :func:`unreid.clustering.knn` with ``k1`` neighbours;
* ``jaccard``: :func:`unreid.clustering.jaccard_distance_sparse` given those neighbours,
  keeping pairs within ``--max-distance`` (default ``eps``, as ``cluster_features`` does),
  so the full Jaccard stage of ``cluster_features`` is ``knn + jaccard``;
* ``dbscan``: :func:`unreid.clustering.dbscan` on the sparse distances;

plus stored pairs, clusters found, pairwise F-score against the synthetic identities,
the 1-minute load average (CPU timings are only comparable on an otherwise idle machine),
the process's peak resident memory so far and, on CUDA, the peak allocated GPU memory.

Usage (CPU):  python benchmarks/clustering_scaling.py --sizes 1000 5000 20000 --device cpu
Usage (GPU):  python benchmarks/clustering_scaling.py --sizes 10000 50000 100000 --device cuda
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
import torch.nn.functional as F

from unreid.clustering import KnnBackend, dbscan, jaccard_distance_sparse, knn, label_quality

logger = logging.getLogger(__name__)
T = TypeVar("T")


def synthetic_features(
    *, n: int, dim: int, images_per_id: int, noise: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(features [n, dim], identities [n])`` on the CPU."""
    generator = torch.Generator().manual_seed(seed)
    num_ids = max(1, n // images_per_id)
    centres = F.normalize(torch.randn(num_ids, dim, generator=generator), dim=1)  # [C, D]
    identities = torch.randint(0, num_ids, (n,), generator=generator)  # [n]
    jitter = noise * torch.randn(n, dim, generator=generator) / dim**0.5  # [n, D]
    return F.normalize(centres[identities] + jitter, dim=1), identities


def timed(fn: Callable[[], T], *, device: torch.device) -> tuple[T, float]:
    """``(result, seconds)`` of one call, synchronising CUDA around it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    result = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return result, time.perf_counter() - start


def run_size(n: int, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    features, identities = synthetic_features(
        n=n, dim=args.dim, images_per_id=args.images_per_id, noise=args.noise, seed=args.seed
    )
    features = features.to(device)
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    neighbours, t_knn = timed(lambda: knn(features, k=args.k1, backend=args.knn_backend), device=device)
    distances, t_jaccard = timed(
        lambda: jaccard_distance_sparse(
            features, k1=args.k1, k2=args.k2, neighbours=neighbours, max_distance=args.max_distance
        ),
        device=device,
    )
    labels, t_dbscan = timed(lambda: dbscan(distances, eps=args.eps, min_samples=args.min_samples), device=device)
    row: dict[str, Any] = {
        "n": n,
        "load_average_1min": os.getloadavg()[0],
        "knn_s": t_knn,
        "jaccard_s": t_jaccard,
        "dbscan_s": t_dbscan,
        "total_s": t_knn + t_jaccard + t_dbscan,
        "stored_pairs_per_row": distances.nnz / n,
        "clusters": int(labels.max()) + 1,
        "outliers": int((labels == -1).sum()),
        "f_score": label_quality(labels.cpu(), identities)["f_score"],
    }
    row["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # process high-water mark
    if device.type == "cuda":
        row["peak_gpu_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ["n", "knn_s", "jaccard_s", "dbscan_s", "total_s", "stored_pairs_per_row", "clusters", "outliers"]
    columns += ["f_score", "load_average_1min", "peak_rss_gib"]
    if rows and "peak_gpu_gib" in rows[0]:
        columns.append("peak_gpu_gib")
    print(" ".join(f"{c:>20}" for c in columns))
    for row in rows:
        print(" ".join(f"{row[c]:>20.3f}" if isinstance(row[c], float) else f"{row[c]:>20}" for c in columns))


def plot(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["n"] for row in rows]
    figure, axes = plt.subplots(figsize=(6, 4.5))
    stages = [
        ("knn_s", "kNN"),
        ("jaccard_s", "sparse Jaccard (after kNN)"),
        ("dbscan_s", "DBSCAN"),
        ("total_s", "total"),
    ]
    for key, label in stages:
        axes.plot(sizes, [max(row[key], 1e-4) for row in rows], marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("images N")
    axes.set_ylabel("seconds")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--knn-backend", choices=[b.value for b in KnnBackend], default=KnnBackend.AUTO.value)
    parser.add_argument("--k1", type=int, default=30)
    parser.add_argument("--k2", type=int, default=6)
    parser.add_argument("--eps", type=float, default=0.6)
    parser.add_argument("--min-samples", type=int, default=4)
    parser.add_argument(
        "--max-distance",
        type=float,
        default=None,
        help="pairs kept by the sparse Jaccard (default: eps, as cluster_features does; 1.0 keeps all)",
    )
    parser.add_argument("--images-per-id", type=int, default=20)
    parser.add_argument("--noise", type=float, default=1.0, help="noise norm relative to the unit identity centre")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=Path("results.json"))
    parser.add_argument("--plot", type=Path, default=Path("clustering_scaling.png"))
    return parser.parse_args()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but CUDA is not available")
    device = torch.device(args.device)
    if args.max_distance is None:
        args.max_distance = args.eps
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    rows = []
    for n in args.sizes:
        rows.append(run_size(n, args, device))
        logger.info("N=%d done in %.1fs", n, rows[-1]["total_s"])
    print_table(rows)
    if device.type == "cuda":
        hardware = torch.cuda.get_device_name(device)
    else:
        hardware = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    report = {
        "device": args.device,
        "hardware": hardware,
        "torch": torch.__version__,
        "args": {k: str(v) for k, v in vars(args).items()},
        "rows": rows,
    }
    args.out.write_text(json.dumps(report, indent=2))
    plot(rows, args.plot, f"pseudo-label clustering, D={args.dim}, {hardware}")
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
