"""Which setting to blame when training fails: the data, the learning rate, or the clustering.

"DBSCAN found 1 cluster" has several causes. A data set of one person is caught before
decoding (:mod:`unreid.cli.split_checks`); weights that blew up under a large
``train.lr`` (finite but huge) are caught after the epoch that did it, before it is
saved (:func:`weights_problem`); a model whose features all point the same way
collapsed (also the learning rate); only otherwise is ``cluster.eps`` the setting.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from unreid.data.records import Record

logger = logging.getLogger(__name__)

HUGE_WEIGHT = 1e3
"""A parameter above this magnitude means training diverged (healthy re-ID networks stay below ~10)."""

COLLAPSED_COSINE = 0.999
"""Mean cosine similarity between all training features above which the features have collapsed."""


SMALLEST_SAFE_TEMPERATURE = 1e-3
"""Below this ``loss.temperature`` the similarities divided by it overflow (float16 at once, float32 in the gradients)."""


def divergence_fix(*, lr: float, temperature: float | None = None) -> str:
    """The setting to change when the loss or the weights stopped being finite: a tiny temperature, else the lr."""
    if temperature is not None and temperature < SMALLEST_SAFE_TEMPERATURE:
        return (f"loss.temperature={temperature:g} is too small (similarities divided by it overflow): "
                "set it between 0.01 and 0.1 (default 0.05)")
    return f"lower train.lr (now {lr:g})"


def largest_weight(model: nn.Module) -> tuple[str, float]:
    """The parameter with the largest magnitude entry, and that magnitude."""
    name, top = "", 0.0
    for key, param in model.named_parameters():
        value = float(param.detach().abs().max()) if param.numel() else 0.0
        if value > top:
            name, top = key, value
    return name, top


def weights_problem(model: nn.Module, *, epoch: int, lr: float, temperature: float | None = None) -> str | None:
    """A one-line failure when a parameter is not finite or above :data:`HUGE_WEIGHT`, else ``None``."""
    name, top = largest_weight(model)
    fix = divergence_fix(lr=lr, temperature=temperature)
    if not torch.isfinite(torch.tensor(top)):
        return f"epoch {epoch}: the weights are not finite ({name}); {fix}; this epoch was not saved"
    if top > HUGE_WEIGHT:
        return (f"epoch {epoch}: the weights blew up (largest |w| {top:.3g} in {name}; healthy networks stay below "
                f"~10): {fix}; this epoch was not saved")
    return None


def mean_cosine(features: Tensor) -> float:
    """Mean cosine similarity over all pairs of rows of ``features [N, D]`` (self pairs included)."""
    unit = torch.nn.functional.normalize(features.float(), dim=1)  # [N, D]
    centre = unit.mean(dim=0)  # [D]
    return float(centre @ centre)


def no_clusters_hint(
    *, features: Tensor, records: list[Record], eps: float, min_samples: int, num_outliers: int, lr: float,
    trained: bool,
) -> str:
    """What to change when DBSCAN found fewer than two clusters (the end of the failure message)."""
    people = {r.person_id for r in records}
    if min(people) >= 0 and len(people) < 2:
        return "all training images carry one person id: clustering needs images of many people; check the data set"
    similarity = mean_cosine(features)
    if similarity > COLLAPSED_COSINE:
        cause = "training collapsed them" if trained else "the model cannot tell the images apart"
        fix = (f"lower train.lr (now {lr:g}) and start over (--overwrite)" if trained else
               "check model.pretrained and the images")
        return f"the features of all {len(records)} images are almost identical (mean cosine {similarity:.4f}): " \
               f"{cause}; {fix}"
    if num_outliers < len(records) // 2:
        return f"lower cluster.eps (now {eps}): almost everything merged into one cluster"
    return f"raise cluster.eps (now {eps}) or lower cluster.min_samples ({min_samples})"
