"""A symmetric sparse distance matrix whose missing entries mean "distance 1".

The k-reciprocal Jaccard distance (Zhong et al., "Re-ranking Person Re-identification with
k-reciprocal Encoding", CVPR 2017) is exactly 1 for every pair whose k-reciprocal encodings
share no support, which for large ``N`` is almost every pair. Storing only the other pairs
keeps memory at ``O(N * k)`` instead of ``O(N^2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

MISSING_DISTANCE = 1.0
"""The distance of every pair that is not stored."""


@dataclass(frozen=True)
class SparseDistances:
    """Symmetric COO distances of ``n`` samples; unstored pairs are far (see ``max_distance``).

    Both ``(i, j)`` and ``(j, i)`` are stored, with equal values, and every diagonal
    entry ``(i, i)`` is stored (with distance 0). Entries are in no particular order.

    Attributes:
        rows: ``[E]`` int64 row indices.
        cols: ``[E]`` int64 column indices.
        values: ``[E]`` float32 distances in ``[0, max_distance]``.
        n: number of samples.
        max_distance: every pair at distance ``<= max_distance`` is stored; an unstored
            pair is either exactly at :data:`MISSING_DISTANCE` or beyond ``max_distance``.
            With the default 1.0 the matrix is exact; a smaller value (e.g. DBSCAN's
            ``eps``) keeps only the pairs a radius search can use.
    """

    rows: Tensor
    cols: Tensor
    values: Tensor
    n: int
    max_distance: float = MISSING_DISTANCE

    def __post_init__(self) -> None:
        if not self.rows.shape == self.cols.shape == self.values.shape or self.rows.dim() != 1:
            raise ValueError(
                f"rows, cols, values must be 1-D of equal length, got {tuple(self.rows.shape)}, "
                f"{tuple(self.cols.shape)}, {tuple(self.values.shape)}"
            )

    @property
    def device(self) -> torch.device:
        return self.values.device

    @property
    def nnz(self) -> int:
        """Number of stored entries (both triangles and the diagonal)."""
        return int(self.values.numel())

    def to_dense(self) -> Tensor:
        """The ``[n, n]`` matrix with unstored pairs at :data:`MISSING_DISTANCE` (exact when
        ``max_distance`` is 1; ``O(n^2)`` memory: tests and small ``n`` only)."""
        dense = torch.full((self.n, self.n), MISSING_DISTANCE, dtype=self.values.dtype, device=self.device)  # [n, n]
        dense[self.rows, self.cols] = self.values
        return dense
