"""Nearest-neighbour search of query embeddings in a gallery: faiss exact, IVF or HNSW, or torch.

Embeddings are L2-normalised, so the inner product is the cosine similarity and the
best match has the highest score. Small galleries are searched exactly
(``faiss.IndexFlatIP``); large ones through an approximate index (IVF lists by default, or
an HNSW graph), which keeps a query over 100,000 entries under 10 ms on a CPU (see
``benchmarks/search_latency.py``). Where faiss is not installed a blocked torch matmul
gives the same exact results.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import torch
from torch import Tensor

from unreid.data.records import Record

logger = logging.getLogger(__name__)

AUTO_EXACT_MAX_FLOATS = 2**24
"""``IndexKind.AUTO`` searches a gallery exactly while ``G * D`` is at most this (64 MB of float32:
8,192 entries of 2048-d, 32,768 of 512-d), and through IVF lists above. A single exact query
reads the whole gallery; on 2 CPU cores 100,000 x 2048 took 328 ms that way, IVF 5.5 ms and
HNSW 11.5 ms (after a 13-minute build; IVF's took 2.4 minutes), see ``benchmarks/search_latency.py``."""


class IndexKind(str, Enum):
    """How the gallery is searched."""

    AUTO = "auto"  # exact up to AUTO_EXACT_MAX_FLOATS gallery values, IVF above
    EXACT = "exact"  # faiss IndexFlatIP (torch when faiss is absent)
    IVF = "ivf"  # faiss IndexIVFFlat: k-means lists, nprobe of them searched
    HNSW = "hnsw"  # faiss IndexHNSWFlat: graph search
    TORCH = "torch"  # exact torch matmul, no faiss

    @classmethod
    def parse(cls, value: str | IndexKind) -> IndexKind:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"index kind {value!r}; valid kinds: {', '.join(k.value for k in cls)}") from None


@dataclass(frozen=True)
class IndexOptions:
    """Parameters of the approximate indexes (ignored by the exact ones).

    Attributes:
        nlist: IVF lists; ``0`` picks ``4 * sqrt(G)`` (at most ``G / 39``).
        nprobe: IVF lists visited per query.
        hnsw_m: HNSW neighbours per node.
        ef_construction: HNSW candidate list while building.
        ef_search: HNSW candidate list while searching.
    """

    nlist: int = 0
    nprobe: int = 32
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128


@dataclass
class SearchResult:
    """``scores [Q, k]`` (cosine similarity, best first) and ``indices [Q, k]`` into the gallery."""

    scores: Tensor
    indices: Tensor


def faiss_available() -> bool:
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # not its log of which CPU build it picked
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_kind(kind: IndexKind, *, size: int, dim: int, have_faiss: bool) -> IndexKind:
    """The concrete kind for ``AUTO`` and for a missing faiss (then always ``TORCH``)."""
    if not have_faiss:
        if kind not in (IndexKind.TORCH, IndexKind.AUTO):
            logger.warning("faiss is not installed (pip install faiss-cpu); searching %s exactly with torch", kind.value)
        return IndexKind.TORCH
    if kind is IndexKind.AUTO:
        return IndexKind.EXACT if size * dim <= AUTO_EXACT_MAX_FLOATS else IndexKind.IVF
    return kind


def build_faiss_index(features: np.ndarray, *, kind: IndexKind, options: IndexOptions) -> Any:
    """A faiss inner-product index of ``features [G, D]`` (float32) of the given concrete kind."""
    import faiss

    size, dim = features.shape
    index: Any
    if kind is IndexKind.EXACT:
        index = faiss.IndexFlatIP(dim)
    elif kind is IndexKind.IVF:
        nlist = options.nlist or int(4 * math.sqrt(size))
        nlist = max(1, min(nlist, size // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(features)
        index.nprobe = min(options.nprobe, nlist)
    elif kind is IndexKind.HNSW:
        index = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = options.ef_construction
        index.hnsw.efSearch = options.ef_search
    else:
        raise ValueError(f"no faiss index for kind {kind.value!r}")
    index.add(features)
    return index


class GalleryIndex:
    """Top-k inner-product search over L2-normalised gallery embeddings.

    Args:
        features: ``[G, D]`` L2-normalised gallery embeddings (``G >= 1``).
        records: optional ``(path, person_id, camera_id)`` of each gallery entry.
        ids: optional gallery labels (file names, track ids) returned by :meth:`labels_of`.
        kind: an :class:`IndexKind` or its name.
        options: IVF / HNSW parameters.
        fingerprint: the model fingerprint the features came from (checked at search time).
    """

    def __init__(
        self, features: Tensor | np.ndarray, *, records: Sequence[Record] | None = None,
        ids: Sequence[str] | None = None, kind: IndexKind | str = IndexKind.AUTO,
        options: IndexOptions | None = None, fingerprint: str | None = None,
    ) -> None:
        features = torch.as_tensor(features)
        if features.dim() != 2:
            raise ValueError(f"gallery features must be [G, D], got {tuple(features.shape)}")
        if features.shape[0] == 0:
            raise ValueError("the gallery is empty: build the index from a folder or feature file with images")
        for name, labels in (("ids", ids), ("records", records)):
            if labels is not None and len(labels) != features.shape[0]:
                raise ValueError(f"{len(labels)} {name} for {features.shape[0]} gallery features")
        self.features = features.float()  # [G, D]
        self.records = list(records) if records is not None else None
        self.ids = list(ids) if ids is not None else None
        self.fingerprint = fingerprint
        self.options = options or IndexOptions()
        self.kind = resolve_kind(IndexKind.parse(kind), size=len(self), dim=self.dim, have_faiss=faiss_available())
        self._faiss_index: Any = None
        if self.kind is not IndexKind.TORCH:
            self._faiss_index = build_faiss_index(
                np.ascontiguousarray(self.features.cpu().numpy()), kind=self.kind, options=self.options
            )
        logger.debug("gallery index: %d x %d, %s", len(self), self.dim, self.kind.value)

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    def search(self, queries: Tensor | np.ndarray, *, top_k: int = 10, block: int = 4096) -> SearchResult:
        """The ``top_k`` most similar gallery entries of each query ``[Q, D]``."""
        queries = torch.as_tensor(queries).float()
        if queries.dim() != 2 or queries.shape[1] != self.dim:
            raise ValueError(f"queries must be [Q, {self.dim}] like the gallery, got {tuple(queries.shape)}; "
                             "were they extracted with another model?")
        if top_k < 1:
            raise ValueError(f"top_k={top_k} must be >= 1")
        k = min(top_k, len(self))
        if self._faiss_index is not None:
            scores, idx = self._faiss_index.search(np.ascontiguousarray(queries.cpu().numpy()), k)  # [Q, k] each
            return SearchResult(torch.from_numpy(scores), torch.from_numpy(idx).long())
        all_scores, all_idx = [], []
        for start in range(0, queries.shape[0], block):
            sims = queries[start : start + block].to(self.features.device) @ self.features.t()  # [b, D] @ [D, G] -> [b, G]
            s, i = sims.topk(k, dim=1)  # [b, k]
            all_scores.append(s.cpu())
            all_idx.append(i.cpu())
        if not all_scores:
            return SearchResult(torch.empty((0, k)), torch.empty((0, k), dtype=torch.long))
        return SearchResult(torch.cat(all_scores), torch.cat(all_idx))

    def labels_of(self, indices: Tensor) -> list[list[str]]:
        """Gallery ids (or record paths) of ``indices [Q, k]``."""
        if self.ids is not None:
            return [[self.ids[j] for j in row] for row in indices.tolist()]
        if self.records is not None:
            return [[str(self.records[j].path) for j in row] for row in indices.tolist()]
        raise ValueError("this index was built without ids or records")

    def attach_faiss(self, faiss_index: Any, *, kind: IndexKind) -> None:
        """Use an already built faiss index (read from disk) of the same gallery."""
        if faiss_index.ntotal != len(self) or faiss_index.d != self.dim:
            raise ValueError(f"faiss index holds {faiss_index.ntotal} x {faiss_index.d}, "
                             f"gallery is {len(self)} x {self.dim}")
        self._faiss_index, self.kind = faiss_index, kind

    def faiss_index(self) -> Any:
        """The underlying faiss index, or ``None`` on the torch path."""
        return self._faiss_index
