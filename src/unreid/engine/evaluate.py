"""Query/gallery evaluation of an embedding model with the Market-1501 protocol."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from unreid.data.records import Record
from unreid.engine.extract import extract_features
from unreid.engine.inference_engine import InferenceEngine
from unreid.engine.onnx_inference import weights_state
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


@dataclass(frozen=True, eq=False)
class EvaluationImages:
    """One side of the protocol (the queries or the gallery): ``uint8 [N, 3, H, W]`` decoded images and their
    records (identities and cameras), in the same order."""

    pixels: Tensor
    records: list[Record]


@dataclass(frozen=True)
class EvaluationOptions:
    """How :func:`evaluate_model` ranks and runs its two inference passes (see :func:`extract_features`)."""

    rerank: bool = False
    batch_size: int = 256
    amp_dtype: torch.dtype | None = None
    channels_last: bool = False
    progress: bool = True
    engine: InferenceEngine | str = InferenceEngine.AUTO


_DEFAULT_OPTIONS = EvaluationOptions()


def evaluate_model(model: nn.Module, query: EvaluationImages, gallery: EvaluationImages,
                   options: EvaluationOptions = _DEFAULT_OPTIONS) -> EvaluationOutput:
    """Extract query and gallery embeddings, rank, and score mAP / CMC / mINP.

    With ``options.rerank`` the distances are re-ranked with k-reciprocal encoding
    (Zhong et al., CVPR 2017) before scoring. ``options.engine`` runs both passes (see :func:`extract_features`).
    """
    o = options
    qf = extract_features(model, query.pixels, batch_size=o.batch_size, amp_dtype=o.amp_dtype,
                          channels_last=o.channels_last, progress=o.progress, desc="query", engine=o.engine)  # [Q, D]
    gf = extract_features(model, gallery.pixels, batch_size=o.batch_size, amp_dtype=o.amp_dtype,
                          channels_last=o.channels_last, progress=o.progress, desc="gallery", engine=o.engine)  # [G, D]
    distances = cosine_distance(qf, gf)  # [Q, G]
    if o.rerank:
        distances = k_reciprocal_rerank(q_g=distances, q_q=cosine_distance(qf, qf), g_g=cosine_distance(gf, gf))
    result = evaluate_ranking(
        distances=distances.cpu(),
        query_pids=[r.person_id for r in query.records], gallery_pids=[r.person_id for r in gallery.records],
        query_cams=[r.camera_id for r in query.records], gallery_cams=[r.camera_id for r in gallery.records],
    )
    return EvaluationOutput(result=result, distances=distances.cpu(), query_features=qf, gallery_features=gf)


@dataclass(frozen=True, kw_only=True, eq=False)
class QueryGalleryEvaluator:
    """``evaluator(model) -> {"mAP": ..., "R1": ..., ...}`` on fixed query and gallery images.

    Attributes:
        query_pixels / gallery_pixels: ``uint8 [Q | G, 3, H, W]`` decoded images.
        query_records / gallery_records: their identities and cameras.
        rerank ... engine: the :class:`EvaluationOptions` of every evaluation.
        grid_queries: queries shown by :meth:`with_grid`'s ranked-list image.

    The last evaluation is kept with the model and the exact weights it measured, so evaluating the same
    weights again (the last epoch's evaluation, then the report after training) costs nothing.
    """

    query_pixels: Tensor
    gallery_pixels: Tensor
    query_records: list[Record]
    gallery_records: list[Record]
    rerank: bool = False
    batch_size: int = 256
    amp_dtype: torch.dtype | None = None
    channels_last: bool = False
    progress: bool = True
    grid_queries: int = 6
    engine: InferenceEngine | str = InferenceEngine.AUTO
    _last: list[tuple[weakref.ref[nn.Module], tuple[Any, ...], EvaluationOutput]] = field(
        default_factory=list, init=False, repr=False)

    def run(self, model: nn.Module) -> EvaluationOutput:
        key = weights_state(model)
        if self._last and self._last[0][0]() is model and self._last[0][1] == key:
            return self._last[0][2]
        options = EvaluationOptions(rerank=self.rerank, batch_size=self.batch_size, amp_dtype=self.amp_dtype,
                                    channels_last=self.channels_last, progress=self.progress, engine=self.engine)
        out = evaluate_model(model, EvaluationImages(self.query_pixels, self.query_records),
                             EvaluationImages(self.gallery_pixels, self.gallery_records), options)
        self._last[:] = [(weakref.ref(model), key, out)]
        return out

    def __call__(self, model: nn.Module) -> dict[str, float]:
        return self.run(model).result.as_dict()

    def with_grid(self, model: nn.Module, path: Path) -> dict[str, float]:
        """The metrics, and a ranked-list image grid of the first queries at ``path``."""
        from unreid.evaluation import save_ranked_list_grid

        out = self.run(model)
        save_ranked_list_grid(path=path, query_records=self.query_records, gallery_records=self.gallery_records,
                              distances=out.distances, num_queries=self.grid_queries)
        return out.result.as_dict()
