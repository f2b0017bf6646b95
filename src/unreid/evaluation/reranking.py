"""k-reciprocal re-ranking (Zhong, Zheng, Cao and Li, "Re-ranking Person Re-identification
with k-reciprocal Encoding", CVPR 2017).

Queries and gallery images are pooled into one set of ``N = Q + G`` items with the
distance matrix ``d`` built from the three given blocks, each row divided by its
maximum. Then, for every item ``p``:

1. ``R(p, k1)``, the *k-reciprocal* neighbours: items among the ``k1 + 1`` nearest of
   ``p`` that also have ``p`` among their ``k1 + 1`` nearest (``p`` itself included).
2. Expansion: every ``c`` in ``R(p, k1)`` whose half-size set ``R(c, round(k1 / 2))``
   shares more than two thirds of its items with ``R(p, k1)`` adds that whole set,
   giving ``R*(p)``; this recovers true matches that are hard positives.
3. Encoding: ``V[p, j] = exp(-d[p, j])`` for ``j`` in ``R*(p)``, 0 elsewhere, rows
   normalised to sum to one.
4. Local query expansion: ``V[p]`` is replaced by the mean of ``V`` over the ``k2``
   nearest items of ``p`` (``p`` included).
5. Jaccard distance ``d_J(q, g) = 1 - sum(min(V[q], V[g])) / sum(max(V[q], V[g]))``,
   computed through the non-zero entries of ``V[q]`` only; since rows sum to one the
   denominator is ``2 - sum(min)``.

The result is ``(1 - lambda_value) * d_J + lambda_value * d`` on the query-gallery
block. Steps 1-2 are the clustering's own set construction
(:func:`unreid.clustering.k_reciprocal_encoding.expanded_reciprocal_sets`), given this
module's list lengths. Distances are used as given (cosine distances work well; the original
implementation squared Euclidean distances first). Two dense float32 ``N x N`` matrices
are alive at a time, so memory grows as ``8 * N**2`` bytes: Market-1501's 19,281 items
peak at about 5 GB and take about 25 s on two CPU cores; MSMT17's 93,820 items do not fit.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor

from unreid.clustering.k_reciprocal_encoding import (
    expanded_reciprocal_sets,
    expanded_set_rows,
)
from unreid.clustering.memory_budget import require_memory

logger = logging.getLogger(__name__)

RERANK_BYTES_PER_PAIR = 8
"""Peak bytes per pair of pooled items: two float32 ``N x N`` matrices (see the module docstring)."""

_CHUNK_ELEMENTS = 1 << 24
"""Rows are processed in chunks of about this many gathered elements to bound memory."""


def _check(q_g: Tensor, q_q: Tensor, g_g: Tensor, k1: int, k2: int, lambda_value: float) -> None:
    if q_g.ndim != 2 or q_q.shape != (q_g.shape[0], q_g.shape[0]) or g_g.shape != (q_g.shape[1], q_g.shape[1]):
        raise ValueError(
            f"k_reciprocal_rerank: shapes q_g {tuple(q_g.shape)}, q_q {tuple(q_q.shape)}, g_g {tuple(g_g.shape)} "
            "do not fit; pass query-gallery [Q, G], query-query [Q, Q] and gallery-gallery [G, G] distances"
        )
    if k1 < 1 or k2 < 1:
        raise ValueError(f"k_reciprocal_rerank: k1={k1} and k2={k2} must both be >= 1")
    if not 0.0 <= lambda_value <= 1.0:
        raise ValueError(f"k_reciprocal_rerank: lambda_value={lambda_value} must lie in [0, 1]")


def _encode(dist: Tensor, initial: Tensor, k1: int) -> Tensor:
    """Steps 1-3: the row-normalised encodings ``V`` ``[N, N]`` of the expanded sets.

    The sets come from the shared :func:`unreid.clustering.k_reciprocal_encoding.expanded_reciprocal_sets`,
    with the paper's list lengths: ``k1 + 1`` nearest for ``R(p, k1)``, ``(k1 + 1) // 2 + 1`` for
    the half-size sets.
    """
    n = dist.shape[0]
    keys = expanded_reciprocal_sets(initial[:, : k1 + 1], k1_half=(k1 + 1) // 2 + 1)  # [P]
    encoding = torch.zeros_like(dist)  # [N, N]
    step = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        in_set = expanded_set_rows(keys, start=rows.start, stop=rows.stop, n=n)  # [r, N]
        own = torch.arange(rows.start, rows.stop, device=dist.device)  # [r]
        in_set[own - rows.start, own] = True  # an item is always in its own set
        weights = torch.exp(-dist[rows]) * in_set  # [r, N] zero outside the expanded set
        encoding[rows] = weights / weights.sum(dim=1, keepdim=True)
    return encoding


def _expand_queries(encoding: Tensor, initial: Tensor, k2: int) -> Tensor:
    """Step 4: each row becomes the mean of the rows of its ``k2`` nearest items."""
    if k2 == 1:
        return encoding
    n = encoding.shape[0]
    expanded = torch.empty_like(encoding)  # [N, N]
    step = max(1, _CHUNK_ELEMENTS // (k2 * n))
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        expanded[rows] = encoding[initial[rows, :k2]].mean(dim=1)  # [r, k2, N] -> [r, N]
    return expanded


def _jaccard(query_codes: Tensor, gallery_codes: Tensor) -> Tensor:
    """Step 5: ``1 - s / (2 - s)`` with ``s = sum(min(V[q], V[g]))``, through the non-zero entries only.

    The gallery codes are indexed by column (item) like a sparse CSC matrix; every
    non-zero ``(q, k)`` of a query code meets the gallery codes that are non-zero at
    ``k``, and their minima are summed into ``s[q, g]``. The work is proportional to
    the number of such meetings instead of ``Q * G * N``.
    """
    num_query, num_gallery = query_codes.shape[0], gallery_codes.shape[0]
    g_rows, g_cols = torch.nonzero(gallery_codes, as_tuple=True)  # [E], [E]
    by_column = torch.argsort(g_cols, stable=True)  # [E]
    g_rows, g_vals = g_rows[by_column], gallery_codes[g_rows[by_column], g_cols[by_column]]  # [E], [E]
    column_count = torch.bincount(g_cols, minlength=gallery_codes.shape[1])  # [N]
    column_start = torch.cumsum(column_count, dim=0) - column_count  # [N]
    q_rows, q_cols = torch.nonzero(query_codes, as_tuple=True)  # [P], [P] sorted by query
    q_vals = query_codes[q_rows, q_cols]  # [P]
    meetings = column_count[q_cols]  # [P] gallery entries met by each query entry
    per_query = torch.zeros(num_query, dtype=torch.long, device=query_codes.device)  # [Q]
    per_query.index_add_(0, q_rows, meetings)
    shared = torch.zeros(num_query * num_gallery, dtype=query_codes.dtype, device=query_codes.device)  # [Q*G]
    pair_end = torch.cumsum(torch.bincount(q_rows, minlength=num_query), dim=0)  # [Q] end of each query's pairs
    cumulative = torch.cumsum(per_query, dim=0)  # [Q]
    start_query = 0
    while start_query < num_query:
        # Largest block of queries whose meetings fit in one chunk (at least one query).
        before = cumulative[start_query - 1] if start_query > 0 else 0
        stop_query = int(torch.searchsorted(cumulative, before + _CHUNK_ELEMENTS, right=True))
        stop_query = min(max(stop_query, start_query + 1), num_query)
        lo = int(pair_end[start_query - 1]) if start_query > 0 else 0
        hi = int(pair_end[stop_query - 1])
        counts = meetings[lo:hi]  # [p]
        pair = torch.repeat_interleave(torch.arange(lo, hi, device=counts.device), counts)  # [T]
        offset = torch.arange(pair.numel(), device=counts.device) - (torch.cumsum(counts, 0) - counts)[pair - lo]  # [T]
        entry = column_start[q_cols[pair]] + offset  # [T] index into the column-sorted gallery entries
        values = torch.minimum(q_vals[pair], g_vals[entry])  # [T]
        shared.index_add_(0, q_rows[pair] * num_gallery + g_rows[entry], values)
        start_query = stop_query
    shared = shared.view(num_query, num_gallery)  # [Q, G]
    return 1.0 - shared / (2.0 - shared)


def k_reciprocal_rerank(
    *, q_g: Tensor, q_q: Tensor, g_g: Tensor, k1: int = 20, k2: int = 6, lambda_value: float = 0.3
) -> Tensor:
    """Re-rank query-gallery distances with k-reciprocal encoding (see the module docstring).

    Args:
        q_g: ``[Q, G]`` query-gallery distances.
        q_q: ``[Q, Q]`` query-query distances.
        g_g: ``[G, G]`` gallery-gallery distances.
        k1: neighbourhood size of the k-reciprocal sets (clamped to ``N - 1``).
        k2: neighbourhood size of the local query expansion (clamped to ``N``).
        lambda_value: weight of the original distance; 1 keeps the original ranking.

    Returns:
        ``[Q, G]`` float32 distances on the device of ``q_g``; smaller = more similar.

    Raises:
        ValueError: on shapes that do not fit, parameters out of range, or when the
            pooled ``N x N`` matrices cannot fit in free memory (checked before allocating).
    """
    _check(q_g, q_q, g_g, k1, k2, lambda_value)
    items = q_g.shape[0] + q_g.shape[1]
    require_memory(
        needed=RERANK_BYTES_PER_PAIR * items * items, device=q_g.device,
        what=f"k-reciprocal re-ranking of {items} query and gallery images",
        fix="evaluate without re-ranking (eval.rerank=false) or on a smaller gallery",
    )
    num_query, num_gallery = q_g.shape
    n = num_query + num_gallery
    k1, k2 = min(k1, n - 1), min(k2, n)
    device = q_g.device
    q_g, q_q, g_g = (t.detach().to(device, torch.float32) for t in (q_g, q_q, g_g))
    dist = torch.cat([torch.cat([q_q, q_g], dim=1), torch.cat([q_g.t(), g_g], dim=1)], dim=0)  # [N, N]
    dist = dist / dist.max(dim=1, keepdim=True).values.clamp_min(1e-12)  # [N, N] rows scaled to max 1
    original = dist[:num_query, num_query:].clone()  # [Q, G]
    if lambda_value == 1.0 or k1 < 1:
        return original
    initial = torch.topk(dist, k=max(k1 + 1, k2), dim=1, largest=False, sorted=True).indices  # [N, K]
    encoding = _encode(dist, initial, k1)  # [N, N]
    del dist
    encoding = _expand_queries(encoding, initial, k2)  # [N, N]
    jaccard = _jaccard(encoding[:num_query], encoding[num_query:])  # [Q, G]
    del encoding
    logger.debug("re-ranked %d queries against %d gallery items (k1=%d, k2=%d, lambda=%.2f)",
                 num_query, num_gallery, k1, k2, lambda_value)
    return (1.0 - lambda_value) * jaccard + lambda_value * original
