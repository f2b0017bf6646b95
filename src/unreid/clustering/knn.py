"""Exact k-nearest-neighbour search by inner product, the first stage of k-reciprocal re-ranking.

The k-reciprocal encoding of Zhong et al. ("Re-ranking Person Re-identification with
k-reciprocal Encoding", CVPR 2017) starts from each sample's k nearest neighbours. Cluster
Contrast (Dai et al., ACCV 2022) obtains them with an exact faiss search; here the default
is a blocked torch matmul + ``topk`` that runs on whatever device the features live on and
needs ``O(N * chunk_size)`` memory, with faiss as an optional CPU backend.

Conventions shared by both backends:

* the sample itself is always neighbour 0 (even when exact duplicates exist), with its
  true self-similarity as value;
* the other neighbours are sorted by similarity, descending, ties broken by the lower
  index. The torch backend also breaks ties at the k-th place by index, so its result is
  a deterministic function of the similarity values.
"""

from __future__ import annotations

import importlib.util
import logging
from enum import Enum

import numpy as np
import torch
from torch import Tensor

logger = logging.getLogger(__name__)

FAISS_AUTO_MIN_ROWS = 50_000
"""With :attr:`KnnBackend.AUTO`, CPU inputs at least this large use faiss when it is installed."""

IVF_AUTO_MIN_ROWS = 200_000
"""... and inputs at least this large its inverted file (an exact search of 1M rows takes hours on 2 cores)."""

IVF_LISTS_PER_SQRT_N = 4
"""The inverted file has ``4 sqrt(N)`` lists (faiss' guideline: 4-16 sqrt(N))."""

IVF_NPROBE = 16
"""Lists searched per query."""


class KnnBackend(str, Enum):
    """How :func:`knn` searches."""

    AUTO = "auto"
    """faiss for large CPU inputs when it is installed (its inverted file from 200k rows), torch otherwise."""
    TORCH = "torch"
    """Blocked matmul + ``topk`` on the features' device."""
    FAISS = "faiss"
    """``faiss.IndexFlatIP`` on the CPU (results are moved back to the features' device)."""
    FAISS_IVF = "faiss_ivf"
    """``faiss.IndexIVFFlat``: approximate (``4 sqrt(N)`` lists, 16 searched), for collections of 200k crops
    and more; the similarities of the neighbours found are exact."""


def faiss_available() -> bool:
    """Whether the optional ``faiss`` package can be imported."""
    return importlib.util.find_spec("faiss") is not None


def resolve_backend(backend: KnnBackend | str, *, num_rows: int, device: torch.device) -> KnnBackend:
    """The concrete backend :func:`knn` will use (never :attr:`KnnBackend.AUTO`).

    Raises:
        ValueError: for an unknown backend name, or FAISS when faiss is not installed.
    """
    try:
        backend = KnnBackend(backend)
    except ValueError as error:
        raise ValueError(f"knn backend {backend!r}; valid values: {[b.value for b in KnnBackend]}") from error
    if backend is KnnBackend.AUTO:
        use_faiss = device.type == "cpu" and num_rows >= FAISS_AUTO_MIN_ROWS and faiss_available()
        if not use_faiss:
            return KnnBackend.TORCH
        return KnnBackend.FAISS_IVF if num_rows >= IVF_AUTO_MIN_ROWS else KnnBackend.FAISS
    if backend in (KnnBackend.FAISS, KnnBackend.FAISS_IVF) and not faiss_available():
        raise ValueError(f"knn backend {backend.value!r} requested but faiss is not installed (pip install faiss-cpu)")
    return backend


def knn(
    features: Tensor, *, k: int, backend: KnnBackend | str = KnnBackend.AUTO, chunk_size: int = 4096
) -> tuple[Tensor, Tensor]:
    """The ``k`` nearest neighbours of every row of ``features`` among all rows, by inner product.

    Args:
        features: ``[N, D]`` features, L2-normalised so the inner product is the cosine
            similarity (not checked; the search is by raw inner product).
        k: neighbours per row, self included, ``1 <= k <= N``.
        backend: see :class:`KnnBackend`.
        chunk_size: query rows per matmul block (torch backend); peak memory is about
            ``chunk_size * N`` floats.

    Returns:
        ``(similarities, indices)``, both ``[N, k]`` on the features' device: float32
        similarities sorted descending after the self entry, and int64 indices with
        ``indices[:, 0] == arange(N)``.

    Raises:
        ValueError: for a non-2-D input, ``k`` outside ``[1, N]``, ``chunk_size < 1`` or an
            unusable backend.
    """
    if features.dim() != 2:
        raise ValueError(f"features must be [N, D], got shape {tuple(features.shape)}")
    n = features.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must lie in [1, N={n}]")
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size} must be >= 1")
    chosen = resolve_backend(backend, num_rows=n, device=features.device)
    features = features.detach().float()
    if chosen is not KnnBackend.TORCH:
        return _knn_faiss(features, k=k, inverted_file=chosen is KnnBackend.FAISS_IVF)
    return _knn_torch(features, k=k, chunk_size=chunk_size)


def _knn_torch(features: Tensor, *, k: int, chunk_size: int) -> tuple[Tensor, Tensor]:
    n = features.shape[0]
    sims = torch.empty(n, k, dtype=torch.float32, device=features.device)  # [N, k]
    indices = torch.empty(n, k, dtype=torch.long, device=features.device)  # [N, k]
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        block = features[start:stop] @ features.T  # [B, N]
        local = torch.arange(stop - start, device=features.device)  # [B]
        self_sim = block[local, start + local].clone()  # [B]
        block[local, start + local] = float("inf")  # self always ranks first
        vals, idx = _topk_by_value_then_index(block, k=k)  # [B, k], [B, k]
        vals[:, 0] = self_sim
        sims[start:stop], indices[start:stop] = vals, idx
    return sims, indices


def _topk_by_value_then_index(scores: Tensor, *, k: int) -> tuple[Tensor, Tensor]:
    """Row-wise top-``k`` of ``scores`` ``[B, N]``; equal values are taken and ordered by lower index."""
    extra = int(k < scores.shape[1])
    vals, idx = scores.topk(k + extra, dim=1)  # [B, k + 1], [B, k + 1]
    kth = vals[:, k - 1 : k]  # [B, 1]
    # ``topk`` picks arbitrarily among values tied with the k-th; a tie crosses the boundary
    # exactly when the (k+1)-th value equals the k-th. Redo those rows exactly.
    tied = (vals[:, k:] == kth).any(1).nonzero().squeeze(1)  # [T]
    vals, idx = vals[:, :k], idx[:, :k]  # [B, k]
    if tied.numel() > 0:
        sub, sub_kth = scores[tied], kth[tied]  # [T, N], [T, 1]
        above, equal = sub > sub_kth, sub == sub_kth  # [T, N]
        need = k - above.sum(1, keepdim=True)  # [T, 1]
        keep = above | (equal & (equal.cumsum(1) <= need))  # [T, N], exactly k per row
        cols = keep.nonzero()[:, 1].view(-1, k)  # [T, k]
        vals[tied], idx[tied] = sub.gather(1, cols), cols
    return sort_by_value_then_index(vals, idx)


def sort_by_value_then_index(vals: Tensor, idx: Tensor) -> tuple[Tensor, Tensor]:
    """Sort each row by value descending, equal values by index ascending."""
    idx, perm = idx.sort(dim=1)  # [B, k]
    vals = vals.gather(1, perm)  # [B, k]
    vals, perm = vals.sort(dim=1, descending=True, stable=True)  # [B, k]
    return vals, idx.gather(1, perm)


def _knn_faiss(features: Tensor, *, k: int, inverted_file: bool) -> tuple[Tensor, Tensor]:
    import faiss  # optional dependency, imported only when used

    device = features.device
    x = features.cpu().contiguous().numpy()  # [N, D]
    n = x.shape[0]
    index: faiss.Index = faiss.IndexFlatIP(x.shape[1])
    if inverted_file:
        lists = max(1, min(int(IVF_LISTS_PER_SQRT_N * n**0.5), n // 39))  # faiss wants >= 39 training rows a list
        inverted = faiss.IndexIVFFlat(index, x.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
        inverted.train(x[torch.randperm(n, generator=torch.Generator().manual_seed(0))[: 64 * lists].numpy()])
        inverted.nprobe = IVF_NPROBE
        logger.info("approximate kNN of %d rows: faiss inverted file, %d lists, %d searched", n, lists, IVF_NPROBE)
        index = inverted
    index.add(x)
    found = min(k + 1, n)
    sims_np, idx_np = index.search(x, found)  # [N, found]
    del index
    short = np.flatnonzero((idx_np < 0).any(1))  # an inverted file may find fewer: those rows searched exactly
    if short.size:
        sims_np[short], idx_np[short] = faiss.knn(x[short], x, found, metric=faiss.METRIC_INNER_PRODUCT)
    sims, idx = torch.from_numpy(sims_np), torch.from_numpy(idx_np).long()  # [N, found]
    rows = torch.arange(n)  # [N]
    # Drop self where faiss returned it, else the last column; then put self in front.
    drop = idx == rows[:, None]  # [N, found]
    drop[:, -1] |= ~drop.any(1)
    sims = sims[~drop].view(n, found - 1)[:, : k - 1]  # [N, k - 1]
    idx = idx[~drop].view(n, found - 1)[:, : k - 1]  # [N, k - 1]
    sims, idx = sort_by_value_then_index(sims, idx)
    self_sim = (features.cpu() * features.cpu()).sum(1, keepdim=True)  # [N, 1]
    sims = torch.cat([self_sim, sims], dim=1)  # [N, k]
    idx = torch.cat([rows[:, None], idx], dim=1)  # [N, k]
    return sims.to(device), idx.to(device)
