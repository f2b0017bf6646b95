"""How ``unreid identities`` scales with the collection, from features only: time and memory per stage.

Features are drawn around random cluster centres (no images are decoded: embedding is the
extraction's cost, measured by ``benchmarks/throughput.py``): ``N / 17`` identities (about
Market-1501's crops per person), each a random unit centre in ``D = 1280`` dimensions (the
embedding size of the recipe's MobileNetV2 backbone), every crop its centre plus isotropic
Gaussian noise, L2-normalised, float32 (same-identity cosine about 0.5). Each size runs in
its own subprocess, so its peak resident memory (``ru_maxrss``, read after each stage: a
running high-water mark) is its own. The stages are those of ``unreid identities`` with the
label-free settings (``k1, k2, min_samples`` from the size, ``eps`` from the distances):

* ``knn``: ``k1`` nearest neighbours with faiss, exact (``IndexFlatIP``), or ``--ivf``
  (``IndexIVFFlat``, ``4 sqrt(N)`` lists trained on a sample, ``--nprobe`` lists searched);
* ``jaccard``: :func:`unreid.clustering.jaccard_distance_sparse` given those neighbours (all
  pairs sharing support kept: the automatic ``eps`` needs them);
* ``dbscan``: the automatic ``eps`` and :func:`unreid.clustering.dbscan.dbscan_with_core`;
* ``assignment``: centroids, similarity to them, and attaching unassigned crops at cosine
  ``--attach`` (:func:`unreid.identities.assign_identities`).

Usage: nice -n 19 python benchmarks/identities_scaling.py --sizes 10000 100000 [--ivf] [--timeout 1800]
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
RESULTS = Path(__file__).resolve().parent / "results" / "identities_scaling.md"


def features_around_centres(n: int, dim: int, *, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(unit float32 features [n, dim], identities [n])``, built in chunks (no second ``[n, dim]`` copy)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // IMAGES_PER_ID), dim), dtype=np.float32)  # [C, D]
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = rng.integers(0, centres.shape[0], n)  # [n]
    x = np.empty((n, dim), dtype=np.float32)  # [n, D]
    for start in range(0, n, 65536):
        stop = min(start + 65536, n)
        block = centres[truth[start:stop]] + (noise / dim**0.5) * rng.standard_normal((stop - start, dim),
                                                                                       dtype=np.float32)
        x[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return x, truth


def faiss_knn(x: np.ndarray, *, k: int, ivf: bool, nprobe: int) -> tuple[Any, Any]:
    """``(similarities [n, k], indices [n, k])`` torch tensors, self first (the contract of ``unreid.clustering.knn``)."""
    import faiss
    import torch

    n, dim = x.shape
    index: faiss.Index
    if ivf:
        lists = int(4 * n**0.5)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        sample = x[np.random.default_rng(0).choice(n, min(n, 64 * lists), replace=False)]
        index.train(sample)
        index.nprobe = nprobe
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(x)
    sims_np, idx_np = index.search(x, k + 1)  # [n, k + 1]
    del index
    sims, idx = torch.from_numpy(sims_np), torch.from_numpy(idx_np).long()  # [n, k + 1]
    rows = torch.arange(n)
    drop = idx == rows[:, None]  # [n, k + 1] self where returned, else the last column
    drop[:, -1] |= ~drop.any(1)
    sims = torch.cat([torch.ones(n, 1), sims[~drop].view(n, k)[:, : k - 1]], dim=1)  # [n, k]
    idx = torch.cat([rows[:, None], idx[~drop].view(n, k)[:, : k - 1]], dim=1)  # [n, k]
    idx[idx < 0] = rows[:, None].expand_as(idx)[idx < 0]  # IVF may return fewer than k: pad with self
    return sims, idx


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_one(n: int, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from unreid.clustering.dbscan import dbscan_with_core
    from unreid.clustering.eps_policy import eps_from_distances
    from unreid.clustering.jaccard_sparse import jaccard_distance_sparse
    from unreid.clustering.label_quality import label_quality
    from unreid.clustering.neighbourhood_sizes import sizes_for_collection
    from unreid.config.schema import ClusterConfig
    from unreid.identities import assign_identities

    torch.set_num_threads(args.threads)
    row: dict[str, Any] = {"n": n, "dim": args.dim, "knn": "IVF" if args.ivf else "flat"}
    x, truth = features_around_centres(n, args.dim, noise=args.noise, seed=0)
    row["features_gib"] = round(x.nbytes / 2**30, 2)
    row["rss_features_gib"] = round(peak_gib(), 2)
    sizes = sizes_for_collection(n)
    stages: list[tuple[str, float, float]] = []

    def stage(name: str, start: float) -> None:
        stages.append((name, time.perf_counter() - start, peak_gib()))
        print(f"  n={n} {name}: {stages[-1][1]:.1f} s, peak RSS {stages[-1][2]:.2f} GiB", file=sys.stderr, flush=True)

    start = time.perf_counter()
    neighbours = faiss_knn(x, k=sizes.k1, ivf=args.ivf, nprobe=args.nprobe)
    stage("knn", start)
    start = time.perf_counter()
    distances = jaccard_distance_sparse(torch.from_numpy(x), k1=sizes.k1, k2=sizes.k2, neighbours=neighbours)
    stage("jaccard", start)
    start = time.perf_counter()
    eps = min(eps_from_distances(distances, rho=ClusterConfig().auto_rho), 0.999)  # the rho rule (cluster.eps_policy=auto)
    labels, _ = dbscan_with_core(distances, eps=eps, min_samples=sizes.min_samples)
    del distances
    stage("dbscan", start)
    start = time.perf_counter()
    assignment = assign_identities(x, labels.numpy(), attach_similarity=args.attach)
    stage("assignment", start)
    for name, seconds, peak in stages:
        row[f"{name}_s"], row[f"{name}_peak_gib"] = round(seconds, 1), round(peak, 2)
    row["total_s"] = round(sum(s for _, s, _ in stages), 1)
    row.update(k1=sizes.k1, eps=round(eps, 3), identities=int(labels.max()) + 1,
               unassigned_before_attach=int((labels < 0).sum()), attached=assignment.attached,
               pair_f=round(label_quality(torch.from_numpy(assignment.identities), torch.from_numpy(truth))["f_score"], 3),
               true_identities=int(np.unique(truth).size), load_1min=round(os.getloadavg()[0], 1))
    return row


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = ("| N | kNN | kNN s | Jaccard s | DBSCAN s | assignment s | total s | peak RSS GiB (after kNN / Jaccard / "
            "DBSCAN / assignment) | k1 | eps | identities (true) | unassigned | pair F | load |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r.get('knn', '')} | {r['error']} |" + " |" * 11)
            continue
        lines.append(
            f"| {r['n']:,} | {r['knn']} | {r['knn_s']} | {r['jaccard_s']} | {r['dbscan_s']} | {r['assignment_s']} | "
            f"{r['total_s']} | {r['knn_peak_gib']} / {r['jaccard_peak_gib']} / {r['dbscan_peak_gib']} / "
            f"{r['assignment_peak_gib']} | {r['k1']} | {r['eps']} | {r['identities']:,} ({r['true_identities']:,}) | "
            f"{r['unassigned_before_attach']:,} | {r['pair_f']} | {r['load_1min']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--ivf", action="store_true", help="faiss IndexIVFFlat instead of the exact flat search")
    parser.add_argument("--nprobe", type=int, default=16)
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
                "--nprobe", str(args.nprobe), "--attach", str(args.attach), "--threads", str(args.threads)]
        try:
            done = subprocess.run(argv + (["--ivf"] if args.ivf else []), capture_output=True, text=True,
                                  timeout=args.timeout)
        except subprocess.TimeoutExpired as error:
            stderr = error.stderr.decode() if isinstance(error.stderr, bytes) else (error.stderr or "")
            last = [line.strip() for line in stderr.splitlines() if line.strip().startswith("n=")]
            finished = last[-1] if last else "none"
            rows.append({"n": n, "knn": "IVF" if args.ivf else "flat",
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
