"""mAP, CMC and mINP of a query-gallery distance matrix under the Market-1501 protocol.

Protocol (Zheng et al., ICCV 2015), applied to each query separately:

* gallery entries showing the same person from the same camera as the query are
  removed (finding them is too easy and says nothing about cross-camera matching);
* junk gallery entries (person id ``-1``) are removed; distractors (person id ``0``)
  stay and are ordinary wrong matches;
* a query with no correct match left is skipped and does not count in any mean.

On the remaining ranked list, with correct matches at (one-based) ranks
``r_1 < r_2 < ... < r_m``:

* AP = mean over ``j`` of the precision at ``r_j``, i.e. ``mean(j / r_j)``;
* CMC@k = 1 when ``r_1 <= k``, else 0;
* INP = ``m / r_m``, the share of the list one must read to find the hardest
  (last) correct match; mINP is from Ye et al., "Deep Learning for Person
  Re-identification: A Survey and Outlook", TPAMI 2021.

mAP, CMC and mINP are means over the valid queries. All values are fractions in
``[0, 1]``; :meth:`RankingResult.as_dict` can give percentages. Ties in distance are
broken by gallery order (stable sort), so results are deterministic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

logger = logging.getLogger(__name__)

JUNK_PERSON = -1
"""Gallery person id excluded from ranking (Market-1501 junk, unknown identities)."""

_CHUNK_ELEMENTS = 1 << 22
"""Queries are scored in chunks of about this many query-gallery pairs to bound memory."""


@dataclass(frozen=True)
class RankingResult:
    """Retrieval scores, all fractions in ``[0, 1]``.

    Attributes:
        mAP: mean average precision over valid queries.
        cmc: ``[max_rank]`` cumulative matching characteristic; ``cmc[0]`` is Rank-1.
        mINP: mean inverse negative penalty over valid queries.
        num_valid_queries: queries with at least one correct match in the gallery.
    """

    mAP: float
    cmc: np.ndarray
    mINP: float
    num_valid_queries: int

    def _rank(self, k: int) -> float:
        return float(self.cmc[k - 1]) if len(self.cmc) >= k else float("nan")

    @property
    def rank1(self) -> float:
        """CMC at rank 1."""
        return self._rank(1)

    @property
    def rank5(self) -> float:
        """CMC at rank 5 (``nan`` when ``max_rank < 5``)."""
        return self._rank(5)

    @property
    def rank10(self) -> float:
        """CMC at rank 10 (``nan`` when ``max_rank < 10``)."""
        return self._rank(10)

    def as_dict(self, *, percent: bool = False) -> dict[str, float]:
        """``{"mAP", "R1", "R5", "R10", "mINP"}`` as fractions, or percentages with ``percent=True``."""
        scale = 100.0 if percent else 1.0
        values = {"mAP": self.mAP, "R1": self.rank1, "R5": self.rank5, "R10": self.rank10, "mINP": self.mINP}
        return {key: scale * float(value) for key, value in values.items()}


def _as_vector(values: Sequence[int] | np.ndarray | Tensor, *, name: str, length: int) -> np.ndarray:
    array = values.detach().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim != 1 or len(array) != length:
        raise ValueError(f"evaluate_ranking: {name} has shape {array.shape} but the distance matrix needs ({length},)")
    return array.astype(np.int64)


def _score_chunk(
    order: np.ndarray, query_pids: np.ndarray, query_cams: np.ndarray, gallery_pids: np.ndarray,
    gallery_cams: np.ndarray, max_rank: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """AP, CMC rows, INP and validity of a chunk of queries whose ranked gallery is ``order``."""
    ranked_pids = gallery_pids[order]  # [q, G]
    ranked_cams = gallery_cams[order]  # [q, G]
    same_pid = ranked_pids == query_pids[:, None]  # [q, G]
    kept = ~(same_pid & (ranked_cams == query_cams[:, None])) & (ranked_pids != JUNK_PERSON)  # [q, G]
    hits = same_pid & kept  # [q, G]
    kept_rank = np.cumsum(kept, axis=1, dtype=np.float64)  # [q, G] one-based rank among kept entries
    hit_count = np.cumsum(hits, axis=1, dtype=np.float64)  # [q, G] number of hits up to here
    num_hits = hit_count[:, -1]  # [q]
    valid = num_hits > 0  # [q]
    safe_hits = np.maximum(num_hits, 1.0)  # [q]
    precision_at_hits = np.where(hits, hit_count / np.maximum(kept_rank, 1.0), 0.0)  # [q, G]
    ap = precision_at_hits.sum(axis=1) / safe_hits  # [q]
    first_rank = np.where(hits, kept_rank, np.inf).min(axis=1)  # [q]
    last_rank = np.where(hits, kept_rank, 0.0).max(axis=1)  # [q]
    inp = num_hits / np.maximum(last_rank, 1.0)  # [q]
    cmc = (first_rank[:, None] <= np.arange(1, max_rank + 1)[None, :]).astype(np.float64)  # [q, max_rank]
    return ap, cmc, inp, valid


def evaluate_ranking(
    *,
    distances: Tensor | np.ndarray,
    query_pids: Sequence[int] | np.ndarray | Tensor,
    gallery_pids: Sequence[int] | np.ndarray | Tensor,
    query_cams: Sequence[int] | np.ndarray | Tensor,
    gallery_cams: Sequence[int] | np.ndarray | Tensor,
    max_rank: int = 10,
) -> RankingResult:
    """Score a ``[Q, G]`` distance matrix (smaller = more similar) with the Market-1501 protocol.

    Args:
        distances: ``[Q, G]`` query-to-gallery distances; must be finite.
        query_pids: ``[Q]`` person ids of the queries.
        gallery_pids: ``[G]`` person ids of the gallery (``-1`` = junk, ``0`` = distractor).
        query_cams: ``[Q]`` camera ids of the queries.
        gallery_cams: ``[G]`` camera ids of the gallery.
        max_rank: length of the returned CMC curve.

    Returns:
        The scores (fractions). When no query has a correct match, every score is
        ``nan``, ``num_valid_queries`` is 0 and a warning is logged.

    Raises:
        ValueError: on mismatched shapes, non-finite distances or ``max_rank < 1``.
    """
    if isinstance(distances, Tensor):
        distances = distances.detach().to("cpu", torch.float64).numpy()
    dist = np.asarray(distances, dtype=np.float64)  # [Q, G]
    if dist.ndim != 2:
        raise ValueError(f"evaluate_ranking: distances must be a [Q, G] matrix, got shape {dist.shape}")
    if max_rank < 1:
        raise ValueError(f"evaluate_ranking: max_rank={max_rank}; use a value >= 1")
    if not np.isfinite(dist).all():
        raise ValueError("evaluate_ranking: distances contain nan or inf; check the features (e.g. a diverged model)")
    num_query, num_gallery = dist.shape
    q_pids = _as_vector(query_pids, name="query_pids", length=num_query)
    q_cams = _as_vector(query_cams, name="query_cams", length=num_query)
    g_pids = _as_vector(gallery_pids, name="gallery_pids", length=num_gallery)
    g_cams = _as_vector(gallery_cams, name="gallery_cams", length=num_gallery)

    ap_parts, cmc_parts, inp_parts = [], [], []
    step = max(1, _CHUNK_ELEMENTS // max(num_gallery, 1))
    for start in range(0, num_query, step):
        stop = min(start + step, num_query)
        order = np.argsort(dist[start:stop], axis=1, kind="stable")  # [q, G] gallery indices, nearest first
        ap, cmc, inp, valid = _score_chunk(order, q_pids[start:stop], q_cams[start:stop], g_pids, g_cams, max_rank)
        ap_parts.append(ap[valid])
        cmc_parts.append(cmc[valid])
        inp_parts.append(inp[valid])
    all_ap = np.concatenate(ap_parts) if ap_parts else np.zeros(0)  # [V]
    num_valid = len(all_ap)
    if num_valid == 0:
        logger.warning("evaluate_ranking: none of the %d queries has a correct match in the gallery "
                       "(different camera, known identity); all scores are nan", num_query)
        return RankingResult(mAP=float("nan"), cmc=np.full(max_rank, np.nan), mINP=float("nan"), num_valid_queries=0)
    if num_valid < num_query:
        logger.info("evaluate_ranking: %d of %d queries have no correct match and are skipped",
                    num_query - num_valid, num_query)
    return RankingResult(
        mAP=float(all_ap.mean()),
        cmc=np.concatenate(cmc_parts).mean(axis=0),  # [max_rank]
        mINP=float(np.concatenate(inp_parts).mean()),
        num_valid_queries=num_valid,
    )
