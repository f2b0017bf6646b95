"""Index arithmetic on row-sorted sparse matrices (CSR) with plain tensors, on any device.

The sparse k-reciprocal Jaccard distance (Zhong et al., CVPR 2017) repeatedly needs "all
stored entries of these rows" and "is this (row, column) pair stored"; both are expressed
here as vectorised gathers over a row-pointer array and binary searches over sorted keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


def row_pointers(sorted_rows: Tensor, *, n: int) -> Tensor:
    """``[n + 1]`` offsets such that row ``r``'s entries are ``[ptr[r], ptr[r + 1])``.

    Args:
        sorted_rows: ``[E]`` int64 row index of every entry, ascending.
        n: number of rows.
    """
    pointers = torch.zeros(n + 1, dtype=torch.long, device=sorted_rows.device)  # [n + 1]
    pointers[1:] = torch.bincount(sorted_rows, minlength=n).cumsum(0)
    return pointers


def expand_segments(starts: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Enumerate the positions of segments ``[starts[s], starts[s] + lengths[s])``.

    Args:
        starts: ``[S]`` int64 first position of each segment.
        lengths: ``[S]`` int64 non-negative segment lengths.

    Returns:
        ``(owner, positions)``, both ``[sum(lengths)]``: the segment each position belongs
        to and the position itself, segment by segment in order.
    """
    owner = torch.repeat_interleave(lengths)  # [T]  segment s repeated lengths[s] times
    first_slot = lengths.cumsum(0) - lengths  # [S]
    slot = torch.arange(owner.numel(), device=starts.device)  # [T]
    return owner, slot + (starts - first_slot).index_select(0, owner)


DENSE_BLOCK_ELEMENTS = {"cpu": 1 << 24, "cuda": 1 << 26}
"""Elements of a ``[rows, N]`` scratch block (64 MB of float32 on CPU, 256 MB on GPU)."""


def dense_block_rows(*, n: int, device: torch.device) -> int:
    """Rows of a ``[rows, n]`` scratch block (bitmap or accumulator) for this device."""
    budget = DENSE_BLOCK_ELEMENTS.get(device.type, DENSE_BLOCK_ELEMENTS["cuda"])
    return max(1, budget // max(1, n))


DENSE_OVER_SORT = 32
"""A ``[rows, N]`` scratch block costs ``O(N)`` per row (zeroing and scanning it), sorting a row's
``t`` keys ``O(t log t)``: blocks are used while ``N <= DENSE_OVER_SORT * t``. Both give the same
result; blocks are quadratic in ``N`` overall, so sorting is what lets a million crops through."""


def dense_blocks_pay(*, n: int, keys_per_row: float) -> bool:
    """Whether ``[rows, n]`` scratch blocks beat sorting for rows of ``keys_per_row`` keys on average."""
    return n <= DENSE_OVER_SORT * keys_per_row


def gather_chunks(costs: Tensor, *, budget: int, n: int, device: torch.device) -> tuple[bool, list[tuple[int, int]]]:
    """``(dense, chunks)``: whether rows of these ``costs [N]`` (keys gathered per row) go through ``[rows, n]``
    scratch blocks (:func:`dense_blocks_pay`), and the row ranges (:func:`row_chunks`) to gather them in."""
    dense = dense_blocks_pay(n=n, keys_per_row=float(costs.float().mean()))
    return dense, row_chunks(costs, budget=budget, max_rows=dense_block_rows(n=n, device=device) if dense else n)


def sum_by_slot(slot: Tensor, values: Tensor, *, size: int, dense: bool) -> tuple[Tensor, Tensor]:
    """Sums of ``values [T]`` added at ``slot [T]`` (each in ``[0, size)``).

    Returns:
        ``(slots [U], sums [U])``: the slots whose sum is non-zero, ascending, and their sums;
        through a ``[size]`` accumulator (``dense``) or by sorting the slots (``O(T log T)``).
    """
    if dense:
        accumulator = torch.zeros(size, dtype=values.dtype, device=values.device).index_add_(0, slot, values)  # [size]
        hit = accumulator.nonzero().squeeze(1)  # [U]
        return hit, accumulator.index_select(0, hit)
    unique, inverse = torch.unique(slot, sorted=True, return_inverse=True)  # [U'], [T]
    sums = torch.zeros(unique.numel(), dtype=values.dtype, device=values.device).index_add_(0, inverse, values)  # [U']
    keep = sums.nonzero().squeeze(1)  # [U]
    return unique.index_select(0, keep), sums.index_select(0, keep)


def lookup_sorted(sorted_keys: Tensor, queries: Tensor) -> tuple[Tensor, Tensor]:
    """Find ``queries`` in the ascending ``sorted_keys``.

    Returns:
        ``(found, position)``, both shaped like ``queries``: whether each query is present
        and, where it is, its position in ``sorted_keys`` (meaningless elsewhere).
    """
    if sorted_keys.numel() == 0:
        return torch.zeros_like(queries, dtype=torch.bool), torch.zeros_like(queries)
    position = torch.searchsorted(sorted_keys, queries).clamp_max(sorted_keys.numel() - 1)
    return sorted_keys[position] == queries, position


@dataclass(frozen=True)
class RowSparse:
    """An ``[n, n]`` sparse matrix with entries sorted by ``(row, column)``, no duplicates.

    Attributes:
        rows: ``[E]`` int64 row indices, ascending.
        cols: ``[E]`` int64 column indices, ascending within each row.
        values: ``[E]`` float32 values.
        n: matrix size.
    """

    rows: Tensor
    cols: Tensor
    values: Tensor
    n: int

    @classmethod
    def from_sorted_keys(cls, keys: Tensor, values: Tensor, *, n: int) -> RowSparse:
        """From ascending unique keys ``row * n + col`` and their values."""
        return cls(rows=keys // n, cols=keys % n, values=values, n=n)

    def pointers(self) -> Tensor:
        """``[n + 1]`` row pointers (see :func:`row_pointers`)."""
        return row_pointers(self.rows, n=self.n)


def row_chunks(costs: Tensor, *, budget: int, max_rows: int) -> list[tuple[int, int]]:
    """Split rows ``0..len(costs)`` into consecutive ``[start, stop)`` ranges.

    Each range holds at most ``max_rows`` rows and, unless a single row exceeds it, at most
    ``budget`` total cost (e.g. entries to gather for those rows).
    """
    chunks: list[tuple[int, int]] = []
    start, total = 0, 0
    for row, cost in enumerate(costs.tolist()):
        if row > start and (total + cost > budget or row - start >= max_rows):
            chunks.append((start, row))
            start, total = row, 0
        total += cost
    if start < costs.numel():
        chunks.append((start, costs.numel()))
    return chunks
