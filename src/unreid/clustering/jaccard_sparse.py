"""Scalable k-reciprocal Jaccard distance: the values of the dense reference in ``O(N k)`` memory.

Zhong et al., "Re-ranking Person Re-identification with k-reciprocal Encoding", CVPR 2017,
as used by Cluster Contrast (Dai et al., ACCV 2022); the definition is spelled out in
:mod:`unreid.clustering.jaccard_dense`. No ``N x N`` matrix is ever built:

* kNN lists come from a chunked search (:func:`unreid.clustering.knn.knn`);
* the encoding ``V`` is a row-sorted sparse matrix with ``|E(i)|`` entries per row;
* local query expansion gathers the ``k2`` neighbours' rows and sums duplicates;
* the Jaccard numerator ``sum_m min(V[i, m], V[j, m])`` is accumulated through an inverted
  index (column by column, like Cluster Contrast's ``invIndex``), only for pairs that share
  support and only for ``i < j``; the denominator is ``|V_i| + |V_j| - numerator``.

Pairs that share no support are exactly at distance 1 and are not stored. Everything runs
on the features' device; the only ``O(N)``-wide buffers are ``[rows, N]`` bitmaps and
accumulators for one chunk of rows (see :func:`unreid.clustering.csr.dense_block_rows`),
so peak memory is ``O(N k + N * rows)`` plus the output (about 20 bytes per stored pair).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.csr import RowSparse, expand_segments, gather_chunks, sum_by_slot
from unreid.clustering.jaccard_dense import neighbourhood_sizes
from unreid.clustering.k_reciprocal_encoding import GATHER_BUDGET, k_reciprocal_encoding, pair_keys
from unreid.clustering.knn import KnnBackend, knn
from unreid.clustering.sparse_distances import MISSING_DISTANCE, SparseDistances

logger = logging.getLogger(__name__)


def jaccard_distance_sparse(
    features: Tensor,
    *,
    k1: int = 30,
    k2: int = 6,
    knn_backend: KnnBackend | str = KnnBackend.AUTO,
    knn_chunk_size: int = 4096,
    neighbours: tuple[Tensor, Tensor] | None = None,
    max_distance: float = MISSING_DISTANCE,
) -> SparseDistances:
    """Sparse k-reciprocal Jaccard distance, equal to :func:`jaccard_distance_dense` where stored.

    Args:
        features: ``[N, D]`` features; L2-normalised here (in float32).
        k1: k-reciprocal neighbourhood size.
        k2: local query expansion size (1 disables it).
        knn_backend: how the kNN lists are searched (see :class:`KnnBackend`).
        knn_chunk_size: query rows per kNN matmul block.
        neighbours: precomputed :func:`knn` output ``(similarities, indices)`` of the
            normalised features with at least ``k1`` columns; skips the search.
        max_distance: keep only pairs at distance ``<= max_distance``. The default 1.0 keeps
            every pair that shares support (exact); DBSCAN with radius ``eps`` needs only
            ``max_distance=eps``, which can cut the output by orders of magnitude.

    Returns:
        Symmetric :class:`SparseDistances` on the features' device holding every pair whose
        encodings share support and whose distance is ``<= max_distance`` (and the zero
        diagonal); pairs without shared support are exactly at distance 1.

    Raises:
        ValueError: for invalid ``k1``/``k2``, ``max_distance`` outside ``[0, 1]`` or
            ``neighbours`` of the wrong shape.
    """
    if not 0.0 <= max_distance <= MISSING_DISTANCE:
        raise ValueError(f"max_distance={max_distance} must lie in [0, {MISSING_DISTANCE}]")
    x = F.normalize(features.detach().float(), dim=1)  # [N, D]
    n = x.shape[0]
    k1, k1_half, k2 = neighbourhood_sizes(n=n, k1=k1, k2=k2)
    if neighbours is None:
        sims, ranks = knn(x, k=k1, backend=knn_backend, chunk_size=knn_chunk_size)  # [N, k1], [N, k1]
    else:
        sims, ranks = neighbours
        if sims.shape != ranks.shape or ranks.dim() != 2 or ranks.shape[0] != n or ranks.shape[1] < k1:
            raise ValueError(f"neighbours must be two [N={n}, >= k1={k1}] tensors, got {tuple(ranks.shape)}")
        sims, ranks = sims[:, :k1].float(), ranks[:, :k1].long()  # [N, k1], [N, k1]
    encoding = k_reciprocal_encoding(x, sims=sims, ranks=ranks, k1_half=k1_half)
    if k2 > 1:
        encoding = query_expansion(encoding, ranks[:, :k2])
    mass = torch.zeros(n, dtype=encoding.values.dtype, device=x.device).index_add_(0, encoding.rows, encoding.values)
    upper: deque[tuple[Tensor, Tensor, Tensor]] = deque()
    for rows, cols, shared in shared_mass_upper(encoding):  # [p] each
        distance = (1.0 - shared / (mass[rows] + mass[cols] - shared)).clamp_(0.0, 1.0)  # [p]  1 - min/max
        keep = distance <= max_distance  # [p]
        upper.append((rows[keep].int(), cols[keep].int(), distance[keep]))  # int32 until assembled
    logger.debug(
        "sparse Jaccard: %d encoding entries, %d pairs", encoding.values.numel(), sum(u[0].numel() for u in upper)
    )
    return mirrored(upper, n=n, device=x.device, max_distance=max_distance)


def mirrored(
    upper: deque[tuple[Tensor, Tensor, Tensor]], *, n: int, device: torch.device, max_distance: float
) -> SparseDistances:
    """Symmetric :class:`SparseDistances` from chunks of ``(rows, cols, distance)`` with ``rows < cols``.

    The output is allocated once and the chunks are released as they are copied, so peak
    memory is the output plus the (int32-indexed) chunks, not twice the output.
    """
    pairs = sum(chunk[0].numel() for chunk in upper)
    rows = torch.empty(2 * pairs + n, dtype=torch.long, device=device)  # [2P + N]
    cols = torch.empty_like(rows)  # [2P + N]
    values = torch.empty(2 * pairs + n, dtype=torch.float32, device=device)  # [2P + N]
    offset = 0
    while upper:
        chunk_rows, chunk_cols, chunk_values = upper.popleft()
        low, high = (
            slice(offset, offset + chunk_rows.numel()),
            slice(pairs + offset, pairs + offset + chunk_rows.numel()),
        )
        rows[low], cols[low], values[low] = chunk_rows, chunk_cols, chunk_values
        rows[high], cols[high], values[high] = chunk_cols, chunk_rows, chunk_values
        offset += chunk_rows.numel()
    rows[2 * pairs :] = torch.arange(n, device=device)
    cols[2 * pairs :] = rows[2 * pairs :]
    values[2 * pairs :] = 0.0
    return SparseDistances(rows=rows, cols=cols, values=values, n=n, max_distance=max_distance)


def query_expansion(encoding: RowSparse, neighbours: Tensor) -> RowSparse:
    """Local query expansion ``V_qe[i] = mean_p V[neighbours[i, p]]`` with sparse rows.

    The neighbours' rows are gathered for a chunk of samples and summed into a dense
    ``[rows, N]`` accumulator, read back in sorted order.

    Args:
        encoding: ``V``.
        neighbours: ``[N, k2]`` the rows to average for each sample.

    Returns:
        ``V_qe`` as a :class:`RowSparse`.
    """
    n, k2 = neighbours.shape
    device = encoding.values.device
    pointers = encoding.pointers()  # [N + 1]
    degree = pointers[1:] - pointers[:-1]  # [N]
    costs = degree[neighbours].sum(1).cpu()  # [N] entries gathered per row
    dense, chunks = gather_chunks(costs, budget=GATHER_BUDGET, n=n, device=device)
    keys_parts: list[Tensor] = []
    value_parts: list[Tensor] = []
    for start, stop in chunks:
        sources = neighbours[start:stop].flatten()  # [B * k2]
        segment, position = expand_segments(pointers[sources], degree[sources])  # [T], [T]
        slot = torch.div(segment, k2, rounding_mode="floor") * n + encoding.cols.index_select(0, position)  # [T]
        hit, sums = sum_by_slot(slot, encoding.values.index_select(0, position), size=(stop - start) * n,
                                dense=dense)  # [U], [U]
        keys_parts.append(start * n + hit)
        value_parts.append(sums / k2)
    return RowSparse.from_sorted_keys(torch.cat(keys_parts), torch.cat(value_parts), n=n)


def shared_mass_upper(encoding: RowSparse) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
    """``sum_m min(V[i, m], V[j, m])`` for every pair ``i < j`` that shares a column.

    Column ``m`` with rows ``j_1 < j_2 < ...`` contributes to the pairs ``(j_a, j_b)``,
    ``a < b``: each stored entry is paired with the entries after it in its column
    (column-major order), and the contributions of a chunk of rows are summed into a dense
    ``[rows, N]`` accumulator.

    Yields:
        ``(rows, cols, shared)`` for one chunk of rows, each ``[p]``, with ``rows < cols``
        and ``shared > 0``; chunks come in row order.
    """
    n = encoding.n
    device = encoding.values.device
    column_order = torch.sort(pair_keys(encoding.cols, encoding.rows, n=n)).indices  # [E]  CSR -> CSC
    column_rows, column_values = encoding.rows[column_order], encoding.values[column_order]  # [E]
    column_end = torch.bincount(encoding.cols, minlength=n).cumsum(0)  # [N]
    column_position = torch.empty_like(column_order)  # [E]  CSC position of each CSR entry
    column_position[column_order] = torch.arange(column_order.numel(), device=device)
    later = column_end[encoding.cols] - column_position - 1  # [E] partners after each entry
    slot_start = later.cumsum(0) - later  # [E] global number of each entry's first contribution
    shift = column_position + 1 - slot_start  # [E] partner CSC position minus contribution number
    row_pointers = encoding.pointers()  # [N + 1]
    costs = torch.zeros(n, dtype=torch.long, device=device).index_add_(0, encoding.rows, later).cpu()  # [N]
    dense, chunks = gather_chunks(costs, budget=GATHER_BUDGET, n=n, device=device)

    for start, stop in chunks:
        first, last = int(row_pointers[start]), int(row_pointers[stop])
        repeats = later[first:last]  # [e]
        total = int(repeats.sum())
        if total == 0:
            continue
        offset = int(slot_start[first])
        # index_select rather than [] indexing: same result, about twice as fast on CPU
        entry = torch.repeat_interleave(repeats, output_size=total)  # [T] owning entry, local to the chunk
        partner = torch.arange(offset, offset + total, device=device)  # [T] contribution numbers
        partner += shift[first:last].index_select(0, entry)  # [T] CSC positions of the partners
        contribution = torch.minimum(
            encoding.values[first:last].index_select(0, entry), column_values.index_select(0, partner)
        )  # [T]
        slot = ((encoding.rows[first:last] - start) * n).index_select(0, entry)  # [T]  accumulator row offset
        slot += column_rows.index_select(0, partner)  # [T]  + partner column
        hit, shared = sum_by_slot(slot, contribution, size=(stop - start) * n, dense=dense)  # [p], [p]
        yield start + torch.div(hit, n, rounding_mode="floor"), hit % n, shared
