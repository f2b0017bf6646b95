"""Several GPUs with PyTorch DDP, started by ``torchrun``.

``torchrun --nproc_per_node=4 -m unreid.cli.main train --config ...`` runs one process
per GPU. Each epoch, every rank extracts features of its share of the training set and
the shares are gathered; rank 0 clusters and broadcasts the pseudo-labels; every rank
trains on its own P x K batches (gradients averaged by DDP) and applies the memory
updates of *all* ranks' batches, so the memories stay identical; rank 0 evaluates and
writes checkpoints. With one process everything here is a no-op.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistributedContext:
    """Rank and world size of this process (``world_size == 1``: not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


def init_from_env() -> DistributedContext:
    """Join the process group described by torchrun's environment variables, if any.

    NCCL when CUDA is available, else gloo (CPU, for tests and debugging).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistributedContext()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    logger.info("distributed: rank %d of %d (local rank %d)", rank, world, local_rank)
    return DistributedContext(rank=rank, world_size=world, local_rank=local_rank)


def current_context() -> DistributedContext:
    """The context of an already initialised process group (or the single-process one)."""
    if dist.is_available() and dist.is_initialized():
        return DistributedContext(rank=dist.get_rank(), world_size=dist.get_world_size(),
                                  local_rank=int(os.environ.get("LOCAL_RANK", "0")))
    return DistributedContext()


def all_gather_cat(tensor: Tensor, ctx: DistributedContext) -> Tensor:
    """Concatenate every rank's ``tensor`` along dim 0, in rank order (sizes may differ)."""
    if not ctx.enabled:
        return tensor
    size = torch.tensor([tensor.shape[0]], device=tensor.device)
    sizes = [torch.zeros_like(size) for _ in range(ctx.world_size)]
    dist.all_gather(sizes, size)
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros((longest, *tensor.shape[1:]), dtype=tensor.dtype, device=tensor.device)
    padded[: tensor.shape[0]] = tensor
    parts = [torch.empty_like(padded) for _ in range(ctx.world_size)]
    dist.all_gather(parts, padded.contiguous())
    return torch.cat([part[: int(s.item())] for part, s in zip(parts, sizes)])


def broadcast_from_main(tensor: Tensor, ctx: DistributedContext) -> Tensor:
    """Rank 0's ``tensor`` on every rank (shapes must already agree)."""
    if ctx.enabled:
        dist.broadcast(tensor, src=0)
    return tensor


def shard_indices(n: int, ctx: DistributedContext) -> Tensor:
    """Rows ``rank, rank + world, ...`` of ``n``: this rank's share of a data set."""
    return torch.arange(ctx.rank, n, ctx.world_size)


def unshard(gathered: Tensor, n: int, ctx: DistributedContext) -> Tensor:
    """Undo :func:`shard_indices` after :func:`all_gather_cat`: rows back in data set order."""
    if not ctx.enabled:
        return gathered
    world = ctx.world_size
    order = torch.cat([shard_indices(n, DistributedContext(rank=r, world_size=world)) for r in range(world)])
    out = torch.empty_like(gathered)
    out[order.to(gathered.device)] = gathered
    return out
