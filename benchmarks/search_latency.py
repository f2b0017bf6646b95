"""Gallery search latency: ms per query over 100,000 gallery embeddings, exact vs IVF vs HNSW.

The gallery imitates re-ID embeddings: ``--identities`` random unit centres, each seen
``gallery/identities`` times with noise, L2-normalised; queries are fresh noisy views of
random identities. Every kind is built through :class:`unreid.retrieval.gallery_index.GalleryIndex`
(the code ``unreid index build`` runs) and timed one query at a time (the ``unreid serve``
case) and in one batch (``unreid search`` on a folder). Recall@k is the share of the
exact top-k that an approximate index returns.

    python benchmarks/search_latency.py --gallery 100000 --dim 2048 --out benchmarks/results/search_latency_cpu.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from unreid.retrieval.gallery_index import GalleryIndex, IndexOptions


def embeddings(*, gallery: int, queries: int, dim: int, identities: int, noise: float, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((identities, dim)).astype(np.float32)  # [I, D]
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def views(owner: np.ndarray) -> np.ndarray:
        x = centres[owner] + noise * rng.standard_normal((len(owner), dim)).astype(np.float32) / np.sqrt(dim)
        return x / np.linalg.norm(x, axis=1, keepdims=True)  # [N, D]

    return views(np.arange(gallery) % identities), views(rng.integers(0, identities, queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gallery", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--identities", type=int, default=10_000)
    parser.add_argument("--noise", type=float, default=0.8, help="view noise relative to the unit centre")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--kinds", default="exact,ivf,hnsw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args()
    import faiss

    gallery, queries = embeddings(gallery=args.gallery, queries=args.queries, dim=args.dim,
                                  identities=args.identities, noise=args.noise, seed=args.seed)
    print(f"gallery {gallery.shape[0]:,} x {args.dim}, {args.queries} queries, top-{args.top_k}, "
          f"faiss {faiss.__version__} with {faiss.omp_get_max_threads()} threads, torch {torch.get_num_threads()} threads")
    rows = []
    exact_ids: np.ndarray | None = None
    for kind in args.kinds.split(","):
        start = time.perf_counter()
        index = GalleryIndex(gallery, kind=kind, options=IndexOptions())
        build_s = time.perf_counter() - start
        index.search(queries[:5], top_k=args.top_k)  # warm-up
        start = time.perf_counter()
        for q in range(args.queries):
            index.search(queries[q : q + 1], top_k=args.top_k)
        single_ms = 1000 * (time.perf_counter() - start) / args.queries
        start = time.perf_counter()
        ids = index.search(queries, top_k=args.top_k).indices.numpy()  # [Q, k]
        batch_ms = 1000 * (time.perf_counter() - start) / args.queries
        if exact_ids is None:
            exact_ids = ids  # the first kind is the reference (exact)
        recall = float(np.mean([len(set(a) & set(b)) / args.top_k for a, b in zip(ids, exact_ids)]))
        row = {"kind": kind, "build_s": round(build_s, 2), "ms_per_query_single": round(single_ms, 3),
               "ms_per_query_batched": round(batch_ms, 3), f"recall@{args.top_k}_vs_exact": round(recall, 4)}
        rows.append(row)
        print(f"{kind:>6}: build {build_s:6.1f} s | {single_ms:7.3f} ms/query one at a time | "
              f"{batch_ms:7.3f} ms/query batched | recall@{args.top_k} vs exact {recall:.4f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"gallery": args.gallery, "dim": args.dim, "queries": args.queries, "top_k": args.top_k,
                  "identities": args.identities, "noise": args.noise, "machine": platform.processor() or platform.machine(),
                  "faiss_threads": faiss.omp_get_max_threads(), "options": IndexOptions().__dict__, "results": rows}
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
