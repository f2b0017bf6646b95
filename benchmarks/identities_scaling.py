"""How ``unreid identities`` scales with the collection, from features only: time and memory per stage.

Features are drawn around random cluster centres (no images are decoded: embedding is the
extraction's cost, measured by ``benchmarks/throughput.py``): ``N / 17`` identities (about
Market-1501's crops per person) in ``D = 1280`` dimensions (the embedding size of the recipe's
MobileNetV2 backbone), L2-normalised, float32. Real embeddings are far from isotropic (on
market1501-dev after the CPU recipe, 128 principal components hold 88% of the variance), so
each centre and 88% of each crop's noise lie in a random ``--rank``-dimensional subspace and
12% of the noise is isotropic (same-identity cosine about 0.5). Each size runs in its own
subprocess, so its peak resident memory (``ru_maxrss``, read after each stage: a running
high-water mark) is its own. The stages are those of ``unreid identities`` (``k1, k2,
min_samples`` from the size, ``eps`` searched without cameras: the most clusters):

* ``knn``: ``k1`` nearest neighbours as :func:`unreid.clustering.label_free.label_free_clustering`
  finds them: exact below 200k crops (faiss ``IndexFlatIP`` from 50k), and from 200k on the 128
  principal directions of the features (:mod:`unreid.clustering.large_collections`) searched
  with faiss' inverted file (``4 sqrt(N)`` lists, 16 searched); ``--exact``: an exact search on all
  ``D`` dimensions at every size. Later stages work on what the kNN searched;
* ``jaccard``: :func:`unreid.clustering.jaccard_distance_sparse` given those neighbours, pairs
  kept up to the eps search's largest radius (what ``unreid identities`` stores);
* ``dbscan``: :func:`unreid.clustering.eps_search.search_eps` (16 DBSCAN runs);
* ``assignment``: centroids, similarity to them, and attaching unassigned crops at cosine
  ``--attach`` (:func:`unreid.identities.assign_identities`).

Usage: python benchmarks/identities_scaling.py --sizes 10000 100000 1000000 [--exact] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

IMAGES_PER_ID = 17
IN_SUBSPACE = 0.88
RESULTS = Path(__file__).resolve().parent / "results" / "identities_scaling.md"


def features_around_centres(n: int, dim: int, *, noise: float, rank: int,
                            seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(unit float32 features [n, dim], identities [n])``, built in chunks (no second ``[n, dim]`` copy):
    centres and ``IN_SUBSPACE`` of the noise variance in a random ``rank``-dimensional subspace
    (``rank >= dim``: isotropic)."""
    rng = np.random.default_rng(seed)
    rank = min(rank, dim)
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0].T.astype(np.float32)  # [r, D] orthonormal rows
    centres = rng.standard_normal((max(1, n // IMAGES_PER_ID), rank), dtype=np.float32)  # [C, r]
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, centres.shape[0], n)  # [n]
    inside = IN_SUBSPACE if rank < dim else 1.0
    x = np.empty((n, dim), dtype=np.float32)  # [n, D]
    for start in range(0, n, 65536):
        stop = min(start + 65536, n)
        low = centres[truth[start:stop]] + (noise * (inside / rank) ** 0.5) * rng.standard_normal(
            (stop - start, rank), dtype=np.float32)  # [b, r]
        block = low @ basis  # [b, D]
        if inside < 1.0:
            block += (noise * ((1 - inside) / dim) ** 0.5) * rng.standard_normal((stop - start, dim), dtype=np.float32)
        x[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return x, truth


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_one(n: int, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from unreid.clustering.eps_search import largest_radius, search_eps
    from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
    from unreid.clustering.knn import KnnBackend, knn, resolve_backend
    from unreid.clustering.label_quality import label_quality
    from unreid.clustering.large_collections import clustering_features
    from unreid.clustering.neighbourhood_sizes import sizes_for_collection
    from unreid.identities import assign_identities

    torch.set_num_threads(args.threads)
    row: dict[str, Any] = {"n": n, "dim": args.dim}
    x, truth = features_around_centres(n, args.dim, noise=args.noise, rank=args.rank, seed=0)
    row["features_gib"] = round(x.nbytes / 2**30, 2)
    row["rss_features_gib"] = round(peak_gib(), 2)
    sizes = sizes_for_collection(n)
    stages: list[tuple[str, float, float]] = []

    def stage(name: str, start: float) -> None:
        stages.append((name, time.perf_counter() - start, peak_gib()))
        print(f"  n={n} {name}: {stages[-1][1]:.1f} s, peak RSS {stages[-1][2]:.2f} GiB", file=sys.stderr, flush=True)

    start = time.perf_counter()
    features = torch.from_numpy(x)
    del x
    if args.exact:
        chosen = KnnBackend.FAISS
    else:  # what ``unreid identities`` does: principal directions and the inverted file from 200k crops on
        features = clustering_features(features)
        chosen = resolve_backend(KnnBackend.AUTO, num_rows=n, device=features.device)
    row["knn"] = f"{chosen.value} on {features.shape[1]} dims"
    neighbours = knn(features, k=sizes.k1, backend=chosen)
    stage("knn", start)
    start = time.perf_counter()
    distances = jaccard_distance_sparse(features, k1=sizes.k1, k2=sizes.k2, neighbours=neighbours,
                                        max_distance=largest_radius())
    del neighbours
    stage("jaccard", start)
    start = time.perf_counter()
    pairs = distances.nnz
    eps, labels, _ = search_eps(distances, cameras=None, min_samples=sizes.min_samples)
    del distances
    stage("dbscan", start)
    start = time.perf_counter()
    assignment = assign_identities(features.numpy(), labels.numpy(), attach_similarity=args.attach)
    stage("assignment", start)
    for name, seconds, peak in stages:
        row[f"{name}_s"], row[f"{name}_peak_gib"] = round(seconds, 1), round(peak, 2)
    row["total_s"] = round(sum(s for _, s, _ in stages), 1)
    row.update(k1=sizes.k1, eps=round(eps, 3), pairs=pairs, identities=int(labels.max()) + 1,
               unassigned_before_attach=int((labels < 0).sum()), attached=assignment.attached,
               pair_f=round(label_quality(torch.from_numpy(assignment.identities), torch.from_numpy(truth))["f_score"], 3),
               true_identities=int(np.unique(truth).size), load_1min=round(os.getloadavg()[0], 1))
    return row


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = ("| N | kNN | kNN s | Jaccard s | DBSCAN s | assignment s | total s | peak RSS GiB (after kNN / Jaccard / "
            "DBSCAN / assignment) | k1 | pairs stored | eps | identities (true) | unassigned | pair F | load |")
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r.get('knn', '')} | {r['error']} |" + " |" * 12)
            continue
        lines.append(
            f"| {r['n']:,} | {r['knn']} | {r['knn_s']} | {r['jaccard_s']} | {r['dbscan_s']} | {r['assignment_s']} | "
            f"{r['total_s']} | {r['knn_peak_gib']} / {r['jaccard_peak_gib']} / {r['dbscan_peak_gib']} / "
            f"{r['assignment_peak_gib']} | {r['k1']} | {r['pairs']:,} | {r['eps']} | "
            f"{r['identities']:,} ({r['true_identities']:,}) | "
            f"{r['unassigned_before_attach']:,} | {r['pair_f']} | {r['load_1min']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--rank", type=int, default=128, help="dimensions of the identities' subspace (>= dim: none)")
    parser.add_argument("--exact", action="store_true", help="exact faiss search on all dimensions at every size")
    parser.add_argument("--attach", type=float, default=0.5, help="attach similarity of the assignment stage")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per size before it is stopped")
    parser.add_argument("--out", type=Path, default=None, help=f"append the table here (e.g. {RESULTS})")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args)))
        return 0
    rows = []
    for n in args.sizes:
        argv = [sys.executable, __file__, "--one", str(n), "--dim", str(args.dim), "--noise", str(args.noise),
                "--rank", str(args.rank),
                "--attach", str(args.attach), "--threads", str(args.threads)]
        try:
            done = subprocess.run(argv + (["--exact"] if args.exact else []), capture_output=True, text=True,
                                  timeout=args.timeout)
        except subprocess.TimeoutExpired as error:
            stderr = error.stderr.decode() if isinstance(error.stderr, bytes) else (error.stderr or "")
            last = [line.strip() for line in stderr.splitlines() if line.strip().startswith("n=")]
            finished = last[-1] if last else "none"
            rows.append({"n": n, "knn": "exact" if args.exact else "auto",
                         "error": f"stopped after {args.timeout:.0f} s; last finished stage: {finished}"})
            continue
        sys.stderr.write(done.stderr[-2000:])
        if done.returncode != 0:
            rows.append({"n": n, "error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1][:160]}"})
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    text = table(rows, args)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
