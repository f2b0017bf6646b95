"""Query/gallery evaluation of an embedding model with the Market-1501 protocol."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from unreid.data.records import Record
from unreid.engine.extract import extract_features
from unreid.evaluation import RankingResult, evaluate_ranking, k_reciprocal_rerank


@dataclass
class EvaluationOutput:
    """Metrics plus the distances they came from (for ranked-list grids)."""

    result: RankingResult
    distances: Tensor  # [Q, G]
    query_features: Tensor  # [Q, D]
    gallery_features: Tensor  # [G, D]


def cosine_distance(a: Tensor, b: Tensor) -> Tensor:
    """``1 - cos`` between L2-normalised rows."""
    return (1.0 - a @ b.t()).clamp(min=0.0)  # [Qa, D] @ [D, Qb] -> [Qa, Qb]


def evaluate_model(
    model: nn.Module,
    *,
    query_pixels: Tensor,
    gallery_pixels: Tensor,
    query_records: list[Record],
    gallery_records: list[Record],
    rerank: bool = False,
    batch_size: int = 256,
    amp_dtype: torch.dtype | None = None,
    channels_last: bool = False,
    progress: bool = True,
) -> EvaluationOutput:
    """Extract query and gallery embeddings, rank, and score mAP / CMC / mINP.

    With ``rerank=True`` the distances are re-ranked with k-reciprocal encoding
    (Zhong et al., CVPR 2017) before scoring.
    """
    qf = extract_features(model, query_pixels, batch_size=batch_size, amp_dtype=amp_dtype,
                          channels_last=channels_last, progress=progress, desc="query")  # [Q, D]
    gf = extract_features(model, gallery_pixels, batch_size=batch_size, amp_dtype=amp_dtype,
                          channels_last=channels_last, progress=progress, desc="gallery")  # [G, D]
    distances = cosine_distance(qf, gf)  # [Q, G]
    if rerank:
        distances = k_reciprocal_rerank(q_g=distances, q_q=cosine_distance(qf, qf), g_g=cosine_distance(gf, gf))
    result = evaluate_ranking(
        distances=distances.cpu(),
        query_pids=[r.person_id for r in query_records], gallery_pids=[r.person_id for r in gallery_records],
        query_cams=[r.camera_id for r in query_records], gallery_cams=[r.camera_id for r in gallery_records],
    )
    return EvaluationOutput(result=result, distances=distances.cpu(), query_features=qf, gallery_features=gf)
