"""One epoch of memory-contrastive training on fixed pseudo-labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from unreid.data.batch_augment import train_augment
from unreid.data.pk_sampler import PKSampler
from unreid.engine.extract import autocast_context
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory


def train_one_epoch(
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: MultiLevelContrastiveLoss,
    memory: ClusterMemory,
    pixels: Tensor,
    labels: Tensor,
    instance_index: Tensor,
    sampler: PKSampler,
    iterations: int,
    amp_dtype: torch.dtype | None = None,
    channels_last: bool = False,
    generator: torch.Generator | None = None,
    progress: bool = True,
    desc: str = "train",
    gather: Callable[[Tensor], Tensor] | None = None,
    level_scale: float = 1.0,
    mix_generated: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    num_real: int | None = None,
    generated_loss_fn: MultiLevelContrastiveLoss | None = None,
) -> dict[str, float]:
    """Run ``iterations`` P x K batches; returns the mean of each loss level and the total.

    Args:
        pixels: ``uint8 [N, 3, H, W]`` training images (real and generated).
        labels: ``[N]`` pseudo-label of each image (``-1``: not trained on).
        instance_index: ``[N]`` row of each image in the memory's instance table
            (``-1`` for generated images, which own no slot).
        sampler: draws batches of indices into ``pixels`` using ``labels``.
        generator: random source for augmentation, on ``pixels``' device.
        gather: under DDP, concatenates a tensor over all ranks, so every rank applies
            every rank's memory updates and the memories stay identical.
        level_scale: this epoch's scale of the intra and inter levels (see ``LevelRamp``).
        mix_generated: swaps some real rows of each batch for generated rows (given the
            batch and its labels); see :class:`unreid.generator.generated_queries.GeneratedBatchMixer`.
        num_real: rows ``>= num_real`` of ``pixels`` are generated: they are queries only and
            never update the centroids or instances (default: every row is real).
        generated_loss_fn: the loss generated queries see (``None``: ``loss_fn``, all levels).
    """
    device = next(model.parameters()).device
    model.train()
    sums: dict[str, Tensor] = {}
    bar = tqdm(sampler.batches(iterations), total=iterations, desc=desc, disable=not progress, leave=False)
    labels_np = labels.cpu().numpy()  # [N]
    for batch_idx in bar:
        if mix_generated is not None:
            batch_idx = mix_generated(np.asarray(batch_idx), labels_np[np.asarray(batch_idx)])
        idx = torch.from_numpy(np.asarray(batch_idx)).to(pixels.device)
        images = train_augment(pixels[idx], generator=generator).to(device, non_blocking=True)  # [B, 3, H, W]
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        targets = labels[idx].to(device)  # [B]
        with autocast_context(device, amp_dtype):
            queries = model(images)  # [B, D]
        owners = instance_index[idx].to(device)  # [B]
        is_real = np.asarray(batch_idx) < (num_real if num_real is not None else pixels.shape[0])  # [B], on the host
        real_rows = torch.from_numpy(np.flatnonzero(is_real)).to(device)  # [B_real]
        if generated_loss_fn is not None and not is_real.all():
            gen_rows = torch.from_numpy(np.flatnonzero(~is_real)).to(device)  # [B_gen]
            terms = loss_fn(queries[real_rows].float(), targets[real_rows], memory, level_scale=level_scale,
                            batch_instances=owners[real_rows])
            extra = generated_loss_fn(queries[gen_rows].float(), targets[gen_rows], memory, level_scale=level_scale,
                                      batch_instances=owners[real_rows])
            share = float((~is_real).mean())  # weight per query, as if the batch were one
            terms.total = (1 - share) * terms.total + share * extra.total
            terms.levels["generated"] = extra.total.detach()
        else:
            terms = loss_fn(queries.float(), targets, memory, level_scale=level_scale, batch_instances=owners)
        optimizer.zero_grad(set_to_none=True)
        terms.total.backward()
        optimizer.step()
        feats = queries.detach().float()  # [B, D]
        keep = real_rows  # [B_real]
        if gather is not None:
            keep = torch.nonzero(gather(torch.from_numpy(is_real).long().to(device))).squeeze(1)  # [world * B_real]
            feats, targets, owners = gather(feats), gather(targets), gather(owners)  # [world * B, ...]
        world = feats.shape[0] // idx.numel()
        feats, targets, owners = feats[keep], targets[keep], owners[keep]  # generated images never enter the memory
        # On accelerators a static bound (K per rank) keeps the update free of host-device syncs.
        bound = sampler.k * world if device.type != "cpu" else None
        memory.update_centroids(feats, targets, max_occurrences=bound)
        memory.update_instances(feats, owners, max_occurrences=bound)
        for name, value in {"total": terms.total.detach(), **terms.levels}.items():
            sums[name] = sums[name] + value if name in sums else value.clone()
    return {name: float(value) / max(iterations, 1) for name, value in sums.items()}
