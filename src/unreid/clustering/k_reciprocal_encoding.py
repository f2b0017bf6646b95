"""The k-reciprocal encoding from kNN lists: the expanded sets ``E(i)`` and the sparse ``V``.

Steps 2-4 of Zhong et al., "Re-ranking Person Re-identification with k-reciprocal
Encoding", CVPR 2017 (see :mod:`unreid.clustering.jaccard_dense` for the definition).
This is the one implementation of the sets: the sparse and dense Jaccard distances used
for clustering and the evaluation's re-ranking (:mod:`unreid.evaluation.reranking`) all
build ``E(i)`` with :func:`expanded_reciprocal_sets`; they differ only in the neighbour
lists they pass and in how they weight the members.

It is vectorised over all samples in ``O(N k)`` memory: reciprocity is a binary search of
the reversed pair ``(j, i)`` among the sorted forward pairs, and the 2/3-overlap expansion
test counts, for every candidate ``c`` of every ``i``, how many members of ``R_half(c)`` lie
in ``R(i)``: a gather from a ``[rows, N]`` membership bitmap built for one chunk of rows at a
time while ``N`` is small, a binary search among the chunk's sorted ``R(i)`` keys beyond
(:func:`unreid.clustering.csr.dense_blocks_pay`; the bitmaps would cost ``O(N^2)``).
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor

from unreid.clustering.csr import RowSparse, dense_block_rows, dense_blocks_pay, lookup_sorted

logger = logging.getLogger(__name__)

GATHER_BUDGET = 1 << 24
"""Largest number of intermediate entries built at once (bounds peak memory)."""


def pair_keys(rows: Tensor, cols: Tensor, *, n: int) -> Tensor:
    """Unique int64 key ``row * n + col`` of each ``(row, col)`` pair (ordered by row, then col)."""
    return rows * n + cols


def reciprocal_mask(ranks: Tensor) -> Tensor:
    """``[N, k]`` mask of the k-reciprocal entries of ``ranks``: ``j = ranks[i, p]`` with ``i`` in ``ranks[j]``.

    Args:
        ranks: ``[N, k]`` int64 neighbour lists (no repeated index within a row).
    """
    n, k = ranks.shape
    rows = torch.arange(n, device=ranks.device)[:, None].expand(n, k)  # [N, k]
    forward = pair_keys(rows, ranks, n=n).flatten().sort().values  # [N * k]
    found, _ = lookup_sorted(forward, pair_keys(ranks, rows, n=n).flatten())  # [N * k]
    return found.view(n, k)  # [N, k]


def expanded_reciprocal_sets(ranks: Tensor, *, k1_half: int) -> Tensor:
    """Sorted keys ``i * N + j`` of the expanded k-reciprocal sets ``E(i)``.

    Rows are processed in chunks with a ``[rows, N]`` membership bitmap of ``R(i)``, so the
    overlap test is a gather and the final set is read back in sorted order.

    Args:
        ranks: ``[N, k1]`` neighbour lists, self first.
        k1_half: length of the lists that define ``R_half`` (``<= k1``).

    Returns:
        ``[P]`` ascending unique int64 keys, i.e. the pairs ``(i, j in E(i))`` in row order.
    """
    n, k1 = ranks.shape
    device = ranks.device
    is_reciprocal = reciprocal_mask(ranks)  # [N, k1]
    half_ranks = ranks[:, :k1_half]  # [N, h]
    is_half_reciprocal = reciprocal_mask(half_ranks)  # [N, h]
    half_sizes = is_half_reciprocal.sum(1)  # [N]
    dense = dense_blocks_pay(n=n, keys_per_row=k1 * k1_half)
    rows_per_block = max(1, GATHER_BUDGET // (k1 * k1_half))
    if dense:
        rows_per_block = min(rows_per_block, dense_block_rows(n=n, device=device))

    parts: list[Tensor] = []
    for start in range(0, n, rows_per_block):
        stop = min(start + rows_per_block, n)
        block = ExpansionBlock(ranks[start:stop], is_reciprocal[start:stop], half_ranks=half_ranks,
                               is_half_reciprocal=is_half_reciprocal, half_sizes=half_sizes, start=start, n=n)
        parts.append(block.sets_by_bitmap() if dense else block.sets_by_sorting())
    return torch.cat(parts)


class ExpansionBlock:
    """The 2/3-overlap expansion of ``R(i)`` into ``E(i)`` for the rows ``start .. start + B - 1``.

    Args:
        candidates: ``[B, k1]`` the rows' neighbour lists.
        candidate_ok: ``[B, k1]`` which of them are k-reciprocal (``R(i)``).
        half_ranks: ``[N, h]`` every sample's first ``k1_half`` neighbours.
        is_half_reciprocal: ``[N, h]`` which of those are reciprocal (``R_half``).
        half_sizes: ``[N]`` ``|R_half|``.
        start: the first row's index.
        n: number of samples.
    """

    def __init__(self, candidates: Tensor, candidate_ok: Tensor, *, half_ranks: Tensor, is_half_reciprocal: Tensor,
                 half_sizes: Tensor, start: int, n: int) -> None:
        self.candidates, self.candidate_ok, self.start, self.n = candidates, candidate_ok, start, n
        self.half_sizes = half_sizes
        self.members = half_ranks[candidates]  # [B, k1, h]  R_half(c) padded
        self.member_ok = is_half_reciprocal[candidates] & candidate_ok[..., None]  # [B, k1, h]
        self.local = torch.arange(candidates.shape[0], device=candidates.device)[:, None]  # [B, 1]

    def accepted_members(self, overlap: Tensor) -> Tensor:
        """``[B, k1, h]`` members added to ``E(i)``, given ``overlap [B, k1]`` = ``|R_half(c) & R(i)|``."""
        accepted = self.candidate_ok & (3 * overlap > 2 * self.half_sizes[self.candidates])  # [B, k1]
        return self.member_ok & accepted[..., None]  # [B, k1, h]

    def sets_by_bitmap(self) -> Tensor:
        """Sorted keys of ``E(i)``, through a ``[B, N]`` membership bitmap (``O(N)`` per row)."""
        members, local = self.members, self.local
        in_block = torch.zeros(local.shape[0], self.n, dtype=torch.bool, device=local.device)  # [B, N]
        in_block[local, self.candidates] = self.candidate_ok  # row b marks R(start + b)
        overlap = (in_block[local[..., None], members] & self.member_ok).sum(2)  # [B, k1]
        add = self.accepted_members(overlap)  # [B, k1, h]
        in_block[local[..., None].expand_as(members)[add], members[add]] = True  # now E(i)
        return self.start * self.n + in_block.view(-1).nonzero().squeeze(1)  # row-major = sorted keys

    def sets_by_sorting(self) -> Tensor:
        """Sorted keys of ``E(i)``, by binary search among the sorted keys of ``R(i)`` (``O(k log k)`` per row)."""
        n, members = self.n, self.members
        rows = self.local + self.start  # [B, 1]
        reciprocal = pair_keys(rows.expand_as(self.candidates), self.candidates, n=n)[self.candidate_ok].sort().values  # [R]
        found, _ = lookup_sorted(reciprocal, pair_keys(rows[..., None], members, n=n))  # [B, k1, h]
        add = self.accepted_members((found & self.member_ok).sum(2))  # [B, k1, h]
        added = pair_keys(rows[..., None].expand_as(members)[add], members[add], n=n)  # [A]
        return torch.unique(torch.cat([reciprocal, added]), sorted=True)  # [P]


def expanded_set_rows(keys: Tensor, *, start: int, stop: int, n: int) -> Tensor:
    """Dense membership ``[stop - start, N]`` of ``E(i)`` for rows ``start <= i < stop``.

    Args:
        keys: ``[P]`` ascending keys ``i * N + j`` from :func:`expanded_reciprocal_sets`.
        start: first row.
        stop: one past the last row.
        n: number of samples ``N``.
    """
    bounds = torch.tensor([start * n, stop * n], dtype=keys.dtype, device=keys.device)
    lo, hi = torch.searchsorted(keys, bounds).tolist()
    block = torch.zeros(stop - start, n, dtype=torch.bool, device=keys.device)  # [B, N]
    block.view(-1)[keys[lo:hi] - start * n] = True
    return block


def pair_similarities(features: Tensor, keys: Tensor, *, sims: Tensor, ranks: Tensor) -> Tensor:
    """Inner products of the pairs ``keys`` (``i * N + j``), reusing kNN similarities where known.

    Args:
        features: ``[N, D]`` L2-normalised features.
        keys: ``[P]`` pair keys.
        sims: ``[N, k]`` kNN similarities matching ``ranks``.
        ranks: ``[N, k]`` kNN indices.

    Returns:
        ``[P]`` float32 similarities.
    """
    n, k = ranks.shape
    sorted_ranks, order = ranks.sort(dim=1)  # [N, k]
    rows = torch.arange(n, device=ranks.device)[:, None].expand(n, k)  # [N, k]
    known_keys = pair_keys(rows, sorted_ranks, n=n).flatten()  # [N * k], ascending
    known_sims = sims.gather(1, order).flatten()  # [N * k]
    found, position = lookup_sorted(known_keys, keys)  # [P]
    out = torch.where(found, known_sims[position], torch.zeros_like(known_sims[position]))  # [P]
    missing = (~found).nonzero().squeeze(1)  # [M]
    step = max(1, GATHER_BUDGET // max(1, features.shape[1]))
    for start in range(0, missing.numel(), step):
        pick = missing[start : start + step]  # [m]
        a, b = features[keys[pick] // n], features[keys[pick] % n]  # [m, D]
        out[pick] = (a * b).sum(1)
    logger.debug("pair similarities: %d of %d from the kNN lists", int(found.sum()), keys.numel())
    return out


def k_reciprocal_encoding(features: Tensor, *, sims: Tensor, ranks: Tensor, k1_half: int) -> RowSparse:
    """The sparse encoding ``V``: ``V[i, j] = softmax_{j in E(i)}(-(2 - 2 <x_i, x_j>))``.

    Args:
        features: ``[N, D]`` L2-normalised float32 features.
        sims: ``[N, k1]`` kNN similarities (self first).
        ranks: ``[N, k1]`` kNN indices (self first).
        k1_half: length of the lists that define ``R_half``.

    Returns:
        ``V`` as a :class:`RowSparse`; every row sums to 1.
    """
    n = features.shape[0]
    keys = expanded_reciprocal_sets(ranks, k1_half=k1_half)  # [P]
    similarity = pair_similarities(features, keys, sims=sims, ranks=ranks)  # [P]
    weights = torch.exp(2.0 * similarity - 2.0)  # [P]  exp(-d), d = 2 - 2 cos
    encoding = RowSparse.from_sorted_keys(keys, weights, n=n)
    totals = torch.zeros(n, dtype=weights.dtype, device=weights.device).index_add_(0, encoding.rows, weights)  # [N]
    return RowSparse(rows=encoding.rows, cols=encoding.cols, values=weights / totals[encoding.rows], n=n)
