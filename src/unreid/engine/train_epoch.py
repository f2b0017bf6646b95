"""One epoch of memory-contrastive training on fixed pseudo-labels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from unreid.engine.batch_stream import Batch, BatchStream
from unreid.engine.extract import autocast_context
from unreid.engine.negligible_weights import zero_negligible_weights
from unreid.engine.precision import grad_scaler
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.memory.cluster_memory import ClusterMemory


def update_memory(memory: ClusterMemory, queries: Tensor, batch: Batch, *, images_per_identity: int,
                  gather: Callable[[Tensor], Tensor] | None = None) -> None:
    """Write the batch's real ``queries [B, D]`` into the centroids and instances (every rank's under DDP)."""
    device = queries.device
    feats, targets, owners = queries.detach().float(), batch.targets, batch.owners  # [B, D], [B], [B]
    keep = torch.from_numpy(np.flatnonzero(batch.is_real)).to(device)  # [B_real]
    if gather is not None:
        keep = torch.nonzero(gather(torch.from_numpy(batch.is_real).long().to(device))).squeeze(1)  # [world * B_real]
        feats, targets, owners = gather(feats), gather(targets), gather(owners)  # [world * B, ...]
    world = feats.shape[0] // batch.is_real.size
    feats, targets, owners = feats[keep], targets[keep], owners[keep]  # generated images never enter the memory
    # On accelerators a static bound (K per rank) keeps the update free of host-device syncs.
    bound = images_per_identity * world if device.type != "cpu" else None
    memory.update_centroids(feats, targets, max_occurrences=bound)
    memory.update_instances(feats, owners, max_occurrences=bound)


@dataclass(frozen=True, kw_only=True, eq=False)
class EpochStep:
    """What every optimiser step uses, the same from one epoch to the next (the trainer builds it once).

    Attributes:
        model: the model as it is trained (wrapped in DDP or compiled where that is on).
        optimizer: steps the model's parameters.
        loss: scores a batch of real and generated queries against the epoch's memory.
        amp_dtype: autocast dtype of the forward pass (``None``: full precision).
        scaler: scales the loss under float16 (default: a fresh :func:`grad_scaler` for ``amp_dtype`` each
            epoch; pass one that lives across epochs to keep its calibrated scale).
        gather: under DDP, concatenates a tensor over all ranks, so every rank applies
            every rank's memory updates and the memories stay identical.
        after_step: called in order after every optimiser step (e.g. :meth:`MeanTeacher.update`).
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    loss: BatchQueryLoss
    amp_dtype: torch.dtype | None = None
    scaler: torch.amp.GradScaler | None = None
    gather: Callable[[Tensor], Tensor] | None = None
    after_step: Sequence[Callable[[], None]] = ()


def train_one_epoch(
    *,
    step: EpochStep,
    memory: ClusterMemory,
    batches: BatchStream,
    iterations: int,
    level_scale: float = 1.0,
    progress: bool = True,
    desc: str = "train",
) -> dict[str, float]:
    """Run ``iterations`` batches through ``step``; returns the mean of each loss level and of the total.

    Args:
        step: the model, optimiser, loss and precision of every step (see :class:`EpochStep`).
        memory: this epoch's centroids and instances, updated after every step.
        batches: this epoch's batches (see :class:`BatchStream`).
        level_scale: this epoch's scale of the intra and inter levels (see ``LevelRamp``).
    """
    model, optimizer = step.model, step.optimizer
    device = next(model.parameters()).device
    model.train()
    scaler = step.scaler if step.scaler is not None else grad_scaler(step.amp_dtype, device)
    sums: dict[str, Tensor] = {}
    for batch in tqdm(batches.batches(iterations), total=iterations, desc=desc, disable=not progress, leave=False):
        with autocast_context(device, step.amp_dtype):
            queries = model(batch.images)  # [B, D]
        terms = step.loss(queries, batch.targets, batch.owners, batch.is_real, memory, level_scale=level_scale)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(terms.total).backward()  # the identity unless float16
        scaler.step(optimizer)  # unscales; skips the step if a gradient overflowed
        scaler.update()
        zero_negligible_weights(optimizer)  # subnormal arithmetic would slow every later step and extraction
        for callback in step.after_step:
            callback()
        update_memory(memory, queries, batch, images_per_identity=batches.images_per_identity, gather=step.gather)
        for name, value in {"total": terms.total.detach(), **terms.levels}.items():
            sums[name] = sums[name] + value if name in sums else value.clone()
    return {name: float(value) / max(iterations, 1) for name, value in sums.items()}
