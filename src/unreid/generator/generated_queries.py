"""Generated images as extra queries: how many per batch, and which loss levels see them.

CamStyle (Zhong et al., CVPR 2018) and MMCL (Wang and Zhang, CVPR 2020) add generated
images to training with their source's label. Here they are *only* queries: they are
never clustered and never written into the centroids or the instance memory (a
near-duplicate of a real image would drag its centroid towards one camera's look and
count twice). Each batch is first drawn from real images by the P x K sampler, then a
fixed share of its slots is handed to generated images of the same pseudo-identities,
so the batch keeps its identity structure and size.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from unreid.losses.levels import level_names
from unreid.losses.multilevel_contrastive import LossTerms, MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneratedImageOptions:
    """How generated images join training.

    Attributes:
        fraction: share of every batch given to generated images, in ``[0, 1)``.
        levels: loss levels whose queries include generated images (registered names,
            :func:`~unreid.losses.levels.level_names`; default: all of them).
        start_epoch: first epoch that uses them (later: once the clusters have settled).
        mixer: how they join a batch, by registered name (:mod:`unreid.generator.batch_mixers`).
    """

    fraction: float = 0.25
    levels: tuple[str, ...] = field(default_factory=level_names)
    start_epoch: int = 0
    mixer: str = "swap"

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"generator.batch_fraction={self.fraction}: must lie in [0, 1)")
        unknown = set(self.levels) - set(level_names())
        if unknown or not self.levels:
            raise ValueError(f"generator.levels={list(self.levels)}: choose one or more of {', '.join(level_names())}")
        if self.start_epoch < 0:
            raise ValueError(f"generator.start_epoch={self.start_epoch}: must be >= 0")


def parse_levels(text: str) -> tuple[str, ...]:
    """``"centroid,inter"`` -> ``("centroid", "inter")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def generated_query_loss(loss_fn: MultiLevelContrastiveLoss, levels: Sequence[str]) -> MultiLevelContrastiveLoss | None:
    """The loss for generated queries: ``loss_fn`` restricted to ``levels``; ``None`` when that is ``loss_fn`` itself."""
    active = [name for name in loss_fn.active_levels if name in levels]
    if not active:
        raise ValueError(f"generator.levels={list(levels)} shares no level with the active loss levels "
                         f"{loss_fn.active_levels}; pick one of those")
    if active == loss_fn.active_levels:
        return None
    restricted = copy.deepcopy(loss_fn)  # every setting as configured (the loss section is mapped once, in the CLI)
    restricted.weights = {name: weight if name in active else 0.0 for name, weight in loss_fn.weights.items()}
    return restricted


class GeneratedBatchMixer:
    """Hands ``fraction`` of each real P x K batch to generated images of the same pseudo-identities.

    Args:
        source_labels: ``[M]`` this epoch's pseudo-label of each generated image's source
            (``-1``: the source is an outlier, so the generated image sits the epoch out).
        num_real: ``N``; generated image ``j`` is row ``N + j`` of the training pixels.
        fraction: share of each batch to replace.
        seed: random seed for this epoch.
    """

    def __init__(self, *, source_labels: np.ndarray, num_real: int, fraction: float, seed: int = 0) -> None:
        source_labels = np.asarray(source_labels)
        self.num_real = num_real
        self.fraction = fraction
        self.by_label = {int(l): np.flatnonzero(source_labels == l) + num_real
                         for l in np.unique(source_labels[source_labels >= 0])}
        self.rng = np.random.default_rng(seed)

    def __call__(self, batch: np.ndarray, batch_labels: np.ndarray) -> np.ndarray:
        """``batch [B]`` of real rows with labels ``batch_labels [B]`` -> the batch with ``round(fraction * B)``
        rows swapped."""
        count = int(round(self.fraction * len(batch)))
        eligible = np.flatnonzero([int(l) in self.by_label for l in batch_labels])
        if count == 0 or eligible.size == 0:
            return batch
        out = np.array(batch, copy=True)
        for pos in self.rng.choice(eligible, size=min(count, eligible.size), replace=False):
            out[pos] = self.rng.choice(self.by_label[int(batch_labels[pos])])
        return out


class BatchQueryLoss:
    """The loss of one batch whose rows may be real or generated queries.

    Real queries see every active level of ``loss_fn``. Generated queries see
    ``generated_loss_fn`` (``loss_fn`` restricted to ``generator.levels``; ``None``: the
    same levels as real ones, so the batch is scored in one call). The two parts are
    weighted by their share of the batch, as if it were scored at once, and the
    generated part is logged as the ``generated`` level.
    """

    def __init__(self, loss_fn: MultiLevelContrastiveLoss,
                 generated_loss_fn: MultiLevelContrastiveLoss | None = None) -> None:
        self.loss_fn = loss_fn
        self.generated_loss_fn = generated_loss_fn

    def __call__(self, queries: Tensor, targets: Tensor, owners: Tensor, is_real: np.ndarray, memory: ClusterMemory,
                 *, level_scale: float) -> LossTerms:
        """``queries [B, D]``, pseudo-labels ``targets [B]``, memory rows ``owners [B]``, ``is_real [B]`` (host)."""
        if self.generated_loss_fn is None or is_real.all():
            return self.loss_fn(queries.float(), targets, memory, level_scale=level_scale, batch_instances=owners)
        real_rows = torch.from_numpy(np.flatnonzero(is_real)).to(queries.device)  # [B_real]
        gen_rows = torch.from_numpy(np.flatnonzero(~is_real)).to(queries.device)  # [B_gen]
        terms = self.loss_fn(queries[real_rows].float(), targets[real_rows], memory, level_scale=level_scale,
                             batch_instances=owners[real_rows], query_instances=owners[real_rows])
        extra = self.generated_loss_fn(queries[gen_rows].float(), targets[gen_rows], memory, level_scale=level_scale,
                                       batch_instances=owners[real_rows], query_instances=owners[gen_rows])
        share = float((~is_real).mean())  # weight per query, as if the batch were one
        terms.total = (1 - share) * terms.total + share * extra.total
        terms.levels["generated"] = extra.total.detach()
        return terms
