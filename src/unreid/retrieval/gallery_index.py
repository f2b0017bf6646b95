"""Nearest-neighbour search of query embeddings in a gallery (torch, or faiss when installed)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

logger = logging.getLogger(__name__)


@dataclass
class SearchResult:
    """``scores [Q, k]`` (cosine similarity, best first) and ``indices [Q, k]`` into the gallery."""

    scores: Tensor
    indices: Tensor


class GalleryIndex:
    """Exact inner-product search over L2-normalised gallery embeddings.

    Uses ``faiss.IndexFlatIP`` when faiss is installed and ``use_faiss`` is true (CPU
    galleries of millions), else a blocked torch matmul on the gallery's device.

    Args:
        features: ``[G, D]`` L2-normalised gallery embeddings.
        ids: optional gallery labels (file names, track ids) returned by :meth:`labels_of`.
    """

    def __init__(self, features: Tensor, *, ids: Sequence[str] | None = None, use_faiss: bool = False) -> None:
        if features.dim() != 2:
            raise ValueError(f"gallery features must be [G, D], got {tuple(features.shape)}")
        if ids is not None and len(ids) != features.shape[0]:
            raise ValueError(f"{len(ids)} ids for {features.shape[0]} gallery features")
        self.features = features.float()
        self.ids = list(ids) if ids is not None else None
        self._faiss_index = None
        if use_faiss:
            try:
                import faiss
            except ImportError:
                logger.warning("faiss is not installed (pip install faiss-cpu); using torch search")
            else:
                self._faiss_index = faiss.IndexFlatIP(features.shape[1])
                self._faiss_index.add(self.features.cpu().numpy())

    def __len__(self) -> int:
        return self.features.shape[0]

    def search(self, queries: Tensor, *, top_k: int = 10, block: int = 4096) -> SearchResult:
        """The ``top_k`` most similar gallery entries of each query."""
        k = min(top_k, len(self))
        if self._faiss_index is not None:
            scores, idx = self._faiss_index.search(queries.float().cpu().numpy(), k)
            return SearchResult(torch.from_numpy(scores), torch.from_numpy(idx).long())
        all_scores, all_idx = [], []
        for start in range(0, queries.shape[0], block):
            sims = queries[start : start + block].float().to(self.features.device) @ self.features.t()  # [b, D] @ [D, G] -> [b, G]
            s, i = sims.topk(k, dim=1)  # [b, k]
            all_scores.append(s)
            all_idx.append(i)
        return SearchResult(torch.cat(all_scores), torch.cat(all_idx))

    def labels_of(self, indices: Tensor) -> list[list[str]]:
        if self.ids is None:
            raise ValueError("this index was built without ids")
        return [[self.ids[j] for j in row] for row in indices.tolist()]
