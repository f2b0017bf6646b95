"""Two gloo processes train like one process with the same global batch.

Rank ``r`` draws its P x K batch with sampler seed ``... + r``; the single process is given
the concatenation of both ranks' batches (rank 0's first, the order in which DDP gathers
memory updates). Augmentation is replaced by plain normalisation (its random draws are
per rank), and BatchNorm statistics are taken per ``P x K`` chunk (sub-batch BatchNorm)
in both runs. The loss is a per-sample mean and DDP averages gradients over ranks, so
parameters, memory and pseudo-labels agree up to float summation order.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import unreid.engine.batch_samplers as batch_samplers
import unreid.engine.batch_stream as batch_stream
import unreid.engine.unsupervised_trainer as trainer
import unreid.memory.registry as memory_kinds
from unreid.config.schema import ClusterConfig, LossConfig, TrainConfig
from unreid.data.batch_augment import normalize
from unreid.data.pk_sampler import PKSampler
from unreid.data.records import Record
from unreid.engine.distributed import DistributedContext
from unreid.engine.pseudo_labeller import ClusteringLabeller
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory
from unreid.models.embedding_model import build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm

P_PER_RANK, K = 2, 4
ITERATIONS, OPTIM_LR = 3, 3.5e-4
TOLERANCE = 1e-4
"""Largest allowed absolute difference of nearly every parameter (float summation order)."""
MEMORY_TOLERANCE = 5e-4
"""Largest allowed difference of a memory entry: the memory holds features of the updated model, so it
inherits the few parameters that Adam's first steps move by up to lr when a gradient's sign is a rounding
away from zero (seen: 1.0e-4 with torch 2.14 on 2 cores); still well under an entry's typical 0.04."""


def _images() -> tuple[torch.Tensor, list[Record]]:
    gen = torch.Generator().manual_seed(0)
    base = torch.randint(0, 256, (5, 3, 1, 1), generator=gen)
    noise = torch.randint(-12, 13, (5, 8, 3, 32, 16), generator=gen)
    pixels = (base[:, None] + noise).clamp(0, 255).to(torch.uint8).flatten(0, 1)  # [40, 3, 32, 16]
    return pixels, [Record(Path(f"{c}_{i}.jpg"), c, i % 2) for c in range(5) for i in range(8)]


class _BothRanksSampler:
    """The batches of ranks 0 and 1, concatenated: what a 1-process run sees as one batch."""

    def __init__(self, labels: np.ndarray, *, num_identities: int, num_instances: int, seed: int = 0,
                 **options: Any) -> None:
        self.ranks = [PKSampler(labels, num_identities=num_identities // 2, num_instances=num_instances, seed=seed + r,
                                **options) for r in range(2)]
        self.k = num_instances  # images per identity, as PKSampler.k

    def batches(self, iterations: int) -> Iterator[np.ndarray]:
        for first, second in zip(self.ranks[0].batches(iterations), self.ranks[1].batches(iterations)):
            yield np.concatenate([np.asarray(first), np.asarray(second)])


def _train(ctx: DistributedContext, run_dir: Path, num_identities: int) -> dict[str, Any]:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    batch_stream.train_augment = lambda images, generator=None, **_: normalize(images)  # type: ignore[assignment]
    memories: list[ClusterMemory] = []

    class RecordedMemory(ClusterMemory):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            memories.append(self)

    memory_kinds.ClusterMemory = RecordedMemory  # type: ignore[misc]  # what the trainer's build_memory constructs
    pixels, records = _images()
    model = build_embedding_model(backbone="resnet10t")
    use_ghost_batch_norm(model, samples_per_bn=P_PER_RANK * K)
    trainer.UnsupervisedTrainer(
        model=model, data=TrainingSet(pixels=pixels, records=records),
        objective=TrainingObjective(labeller=ClusteringLabeller(ClusterConfig(k1=6, k2=2, eps=0.6, min_samples=2)),
                                    loss=BatchQueryLoss(MultiLevelContrastiveLoss()), memory=LossConfig()),
        train=TrainConfig(epochs=1, iterations=ITERATIONS, num_identities=num_identities, num_instances=K,
                          lr=OPTIM_LR, channels_last=False),
        runtime=TrainerRuntime(extract_batch_size=16, progress=False, dist_ctx=ctx),
    ).fit()
    params = {k: v for k, v in model.state_dict().items()
              if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    [memory] = memories
    return {"params": params, "memory": {k: v.clone() for k, v in memory.state_dict().items()}}


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2")
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        state = _train(DistributedContext(rank=rank, world_size=2), Path(out_dir) / "ddp", P_PER_RANK)
        torch.save(state, Path(out_dir) / f"rank{rank}.pth")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_ranks_match_one_process_with_the_same_global_batch(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(port, str(tmp_path)), nprocs=2, join=True)
    ddp = torch.load(tmp_path / "rank0.pth", weights_only=False)
    other = torch.load(tmp_path / "rank1.pth", weights_only=False)

    monkeypatch.setattr(batch_samplers, "PKSampler", batch_samplers.PKSampler)  # restored after the test
    monkeypatch.setattr(memory_kinds, "ClusterMemory", memory_kinds.ClusterMemory)
    monkeypatch.setattr(batch_stream, "train_augment", batch_stream.train_augment)
    batch_samplers.PKSampler = _BothRanksSampler  # type: ignore[misc, assignment]
    single = _train(DistributedContext(), tmp_path / "single", 2 * P_PER_RANK)

    assert torch.equal(ddp["memory"]["instance_labels"], single["memory"]["instance_labels"])  # pseudo-labels
    assert int(single["memory"]["instance_labels"].max()) + 1 >= 2
    for key in ("centroids", "instances"):
        assert torch.equal(ddp["memory"][key], other["memory"][key])  # both ranks hold the same memory
        assert (ddp["memory"][key] - single["memory"][key]).abs().max() < MEMORY_TOLERANCE, key
    diff = torch.cat([(ddp["params"][k] - single["params"][k]).abs().flatten() for k in single["params"]])
    print(f"parameter differences: median {diff.median().item():.2e}, 99.9% {diff.quantile(0.999).item():.2e}, "
          f"max {diff.max().item():.2e} of {diff.numel()}")
    # Adam divides each gradient by its own running scale, so a gradient entry that is zero up to
    # rounding can move by up to lr per step in either run: bound the worst entry by that, and
    # nearly all entries by the float tolerance.
    assert diff.max() <= 2 * OPTIM_LR * ITERATIONS
    assert diff.quantile(0.999) < TOLERANCE and diff.median() < TOLERANCE / 100
