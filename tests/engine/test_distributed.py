"""DDP on the CPU (gloo): two ranks train one model; weights stay identical, only rank 0 writes."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from unreid.config.schema import ClusterConfig, LossConfig, TrainConfig
from unreid.data.records import Record
from unreid.engine.distributed import DistributedContext, all_gather_cat, shard_indices, unshard
from unreid.engine.epoch_hooks import CheckpointHook, MetricsLogHook
from unreid.engine.pseudo_labeller import ClusteringLabeller
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import build_embedding_model


def test_shard_and_unshard_restore_order() -> None:
    n, world = 11, 3
    shards = [shard_indices(n, DistributedContext(rank=r, world_size=world)) for r in range(world)]
    gathered = torch.cat(shards).float().unsqueeze(1)
    restored = unshard(gathered, n, DistributedContext(rank=0, world_size=world))
    assert restored.squeeze(1).tolist() == list(range(n))


def _colour_images(n_per: int = 8, colours: int = 6) -> tuple[torch.Tensor, list[Record]]:
    gen = torch.Generator().manual_seed(0)
    base = torch.randint(0, 256, (colours, 3, 1, 1), generator=gen)
    pixels, records = [], []
    for c in range(colours):
        for i in range(n_per):
            noise = torch.randint(-12, 13, (3, 32, 16), generator=gen)
            pixels.append((base[c] + noise).clamp(0, 255).to(torch.uint8))
            records.append(Record(Path(f"{c}_{i}.jpg"), c, i % 2))
    return torch.stack(pixels), records


def _worker(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    try:
        ctx = DistributedContext(rank=rank, world_size=world)
        gathered = all_gather_cat(torch.full((rank + 1, 2), float(rank)), ctx)
        assert gathered[:, 0].tolist() == [0.0, 1.0, 1.0]
        pixels, records = _colour_images()
        model = build_embedding_model(backbone="resnet10t")
        run_dir = Path(out_dir) / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        UnsupervisedTrainer(
            model=model, data=TrainingSet(pixels=pixels, records=records),
            objective=TrainingObjective(labeller=ClusteringLabeller(ClusterConfig(k1=6, k2=2, eps=0.6, min_samples=2)),
                                        loss=BatchQueryLoss(MultiLevelContrastiveLoss()), memory=LossConfig()),
            train=TrainConfig(epochs=1, iterations=2, num_identities=3, num_instances=4, channels_last=False),
            hooks=[MetricsLogHook(run_dir), CheckpointHook(run_dir, model_spec={})],
            runtime=TrainerRuntime(extract_batch_size=16, progress=False, dist_ctx=ctx),
        ).fit()
        torch.save(model.state_dict(), Path(out_dir) / f"rank{rank}.pth")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_rank_training_keeps_models_identical(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pth")
    b = torch.load(tmp_path / "rank1.pth")
    # Parameters agree exactly (DDP averages gradients); BatchNorm running statistics are
    # broadcast from rank 0 at each forward, so after the last step they may differ per rank.
    params = [k for k in a if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert params and all(torch.allclose(a[k], b[k], atol=1e-6) for k in params)
    assert (tmp_path / "run" / "last.pth").is_file() and (tmp_path / "run" / "metrics.jsonl").is_file()
