"""The epoch loop of unsupervised re-ID: extract -> Jaccard -> DBSCAN -> memory -> train.

Each step is one library call that can be tested on its own; this module only
strings them together, keeps time, writes metrics and checkpoints, and resumes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from unreid.clustering import (
    JaccardMethod, cluster_features, cluster_size_stats, false_merge_camera_share, label_quality,
)
from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.eps_policy import EpsPolicy, scheduled_eps
from unreid.clustering.oracle_labels import oracle_labels
from unreid.data.pk_sampler import PKSampler
from unreid.data.records import Record
from unreid.engine.checkpoint import LAST, load_checkpoint, save_atomic
from unreid.engine.distributed import (
    DistributedContext, all_gather_cat, broadcast_from_main, current_context, shard_indices, unshard,
)
from unreid.engine.background_plotter import BackgroundPlotter
from unreid.engine.eta import EpochClock
from unreid.engine.extract import extract_features
from unreid.engine.feature_dump import save_epoch_features
from unreid.engine.run_log import append_metrics, truncate_metrics
from unreid.engine.train_epoch import train_one_epoch
from unreid.engine.training_failure import TrainingFailure
from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.generated_queries import GeneratedBatchMixer, GeneratedImageOptions, generated_query_loss
from unreid.losses.level_ramp import LevelRamp
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory

logger = logging.getLogger(__name__)

Evaluator = Callable[[nn.Module], dict[str, float]]


@dataclass(frozen=True)
class ClusteringOptions:
    """k-reciprocal Jaccard distance + DBSCAN settings (Cluster Contrast's defaults).

    ``eps_policy`` (see :mod:`unreid.clustering.eps_policy`): ``fixed`` uses ``eps``;
    ``schedule`` moves from ``eps_start`` to ``eps`` over ``eps_epochs``; ``auto`` derives
    eps from the distances with ``auto_rho`` every epoch.
    """

    k1: int = 30
    k2: int = 6
    eps: float = 0.6
    min_samples: int = 4
    method: JaccardMethod = JaccardMethod.SPARSE
    eps_policy: EpsPolicy = EpsPolicy.FIXED
    eps_start: float = 0.6
    eps_epochs: int = 0
    auto_rho: float = 1.6e-3
    camera_centering: bool = False  # cluster features centred per camera (see clustering.camera_centering)
    oracle: bool = False  # diagnostics only: ground-truth identities instead of clustering (clustering.oracle_labels)

    def eps_for(self, epoch: int) -> float:
        if self.eps_policy is EpsPolicy.SCHEDULE:
            return scheduled_eps(epoch=epoch, start=self.eps_start, end=self.eps, epochs=self.eps_epochs)
        return self.eps


@dataclass(frozen=True)
class OptimOptions:
    """Adam with step decay, P x K batches."""

    epochs: int = 50
    iterations: int = 200
    num_identities: int = 16
    num_instances: int = 16
    lr: float = 3.5e-4
    weight_decay: float = 5e-4
    lr_step: int = 20
    lr_gamma: float = 0.1
    camera_aware: bool = False  # the K images of an identity span its cameras


@dataclass(frozen=True)
class MemoryOptions:
    momentum: float = 0.1
    instance_momentum: float = 0.1


@dataclass(frozen=True)
class RuntimeOptions:
    """How to run: mixed precision, memory layout, compilation, progress bars, evaluation cadence."""

    amp_dtype: torch.dtype | None = None
    channels_last: bool = False
    compile: bool = False
    progress: bool = True
    eval_every: int = 1
    extract_batch_size: int = 256
    seed: int = 0
    save_features: bool = False  # each epoch's training features as float16 .npy in run_dir/features


@dataclass
class TrainingHistory:
    rows: list[dict[str, Any]] = field(default_factory=list)


def _pseudo_label_step(
    features: Tensor, records: list[Record], options: ClusteringOptions, epoch: int
) -> tuple[Tensor, Tensor, dict[str, float], dict[str, float]]:
    """Labels ``[N]``, core points ``[N]``, timings, and diagnostics (sizes; quality where ids are known)."""
    if options.camera_centering:
        cameras = torch.tensor([r.camera_id for r in records], device=features.device)  # [N]
        features = center_per_camera(features, cameras)  # [N, D]
    result = oracle_labels(records, device=features.device) if options.oracle else cluster_features(
        features, k1=options.k1, k2=options.k2, eps=options.eps_for(epoch), min_samples=options.min_samples,
        method=options.method, auto_eps_rho=options.auto_rho if options.eps_policy is EpsPolicy.AUTO else 0.0,
    )
    labels = result.labels.cpu()
    diagnostics = {"eps": round(result.eps, 4), **cluster_size_stats(labels)}
    truth = [r.person_id for r in records]
    if min(truth) >= 0:
        diagnostics.update({f"pl_{k}": v for k, v in label_quality(labels, truth).items()})
        diagnostics["pl_false_merge_same_camera"] = false_merge_camera_share(labels, truth, [r.camera_id for r in records])
    assert result.core is not None
    return result.labels, result.core, dict(result.timings), diagnostics


def train_unsupervised(
    *,
    model: nn.Module,
    train_pixels: Tensor,
    train_records: list[Record],
    run_dir: Path,
    loss_fn: MultiLevelContrastiveLoss,
    level_ramp: LevelRamp = LevelRamp(),
    clustering: ClusteringOptions = ClusteringOptions(),
    optim: OptimOptions = OptimOptions(),
    memory_options: MemoryOptions = MemoryOptions(),
    runtime: RuntimeOptions = RuntimeOptions(),
    enhancement: EnhancementSet | None = None,
    generated: GeneratedImageOptions = GeneratedImageOptions(),
    evaluate: Evaluator | None = None,
    model_spec: dict[str, Any] | None = None,
    resume: bool = False,
    dist_ctx: DistributedContext | None = None,
) -> TrainingHistory:
    """Train ``model`` without labels; returns one metrics row per epoch.

    Args:
        model: an embedding model on its target device.
        train_pixels: ``uint8 [N, 3, H, W]`` decoded training images.
        train_records: their records (person ids are used only for diagnostics).
        run_dir: checkpoints (``last.pth``, ``model.pth``), ``metrics.jsonl`` and plots go here.
        loss_fn: the multi-level contrastive loss (its switches select the levels).
        level_ramp: the per-epoch scale of the intra and inter levels.
        enhancement: generated images that join training with their source's pseudo-label,
            as extra queries only (never clustered, never written into the memory).
        generated: the batch share, loss levels and first epoch of the generated images.
        evaluate: called with the model after an epoch (every ``runtime.eval_every``) and
            at the end; returns metrics such as ``{"mAP": ..., "R1": ...}``.
        model_spec: how to rebuild the model (saved in checkpoints for ``unreid evaluate``).
        resume: continue from ``run_dir/last.pth`` if it exists.
        dist_ctx: the DDP context (default: the initialised process group, if any); rank 0
            clusters, evaluates and writes files.
    """
    ctx = dist_ctx or current_context()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = next(model.parameters()).device
    n_real = len(train_records)
    if train_pixels.shape[0] != n_real:
        raise ValueError(f"{train_pixels.shape[0]} images but {n_real} records")
    if enhancement is not None:
        pixels = torch.cat([train_pixels, enhancement.pixels.to(train_pixels.device)])  # [N + M, 3, H, W]
        source = enhancement.source_index.to(device)  # [M]
    else:
        pixels, source = train_pixels, torch.empty(0, dtype=torch.long, device=device)
    generated_loss = generated_query_loss(loss_fn, generated.levels) if enhancement is not None else None

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=optim.lr, weight_decay=optim.weight_decay, fused=True if device.type == "cuda" else None)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=optim.lr_step, gamma=optim.lr_gamma)
    train_model: nn.Module = model
    if ctx.enabled:
        train_model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    if runtime.compile:
        train_model = torch.compile(train_model)  # type: ignore[assignment]
    history = TrainingHistory()
    start_epoch = 0
    last_path = run_dir / LAST
    if resume and last_path.is_file():
        state = load_checkpoint(last_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch = int(state["epoch"]) + 1
        history.rows = list(state.get("history", []))
        if ctx.is_main:
            truncate_metrics(run_dir, last_epoch=start_epoch - 1)
        logger.info("resumed from %s at epoch %d", last_path, start_epoch)
    elif ctx.is_main and (run_dir / "metrics.jsonl").exists():
        (run_dir / "metrics.jsonl").unlink()

    real_cameras = np.array([r.camera_id for r in train_records])  # [N]: the sampler draws real images only
    plotter = BackgroundPlotter(run_dir) if ctx.is_main else None
    aug_gen = torch.Generator(device=pixels.device)
    clock = EpochClock(first_epoch=start_epoch, total_epochs=optim.epochs)
    for epoch in range(start_epoch, optim.epochs):
        aug_gen.manual_seed(runtime.seed * 100_003 + epoch * 101 + ctx.rank)
        times: dict[str, float] = {}
        t0 = time.perf_counter()
        rows = shard_indices(n_real, ctx)  # this rank's share (all rows without DDP)
        local = extract_features(
            model, train_pixels[rows.to(train_pixels.device)] if ctx.enabled else train_pixels,
            batch_size=runtime.extract_batch_size, amp_dtype=runtime.amp_dtype, channels_last=runtime.channels_last,
            progress=runtime.progress and ctx.is_main, desc=f"epoch {epoch} extract",
        )  # [N / world, D]
        features = unshard(all_gather_cat(local, ctx), n_real, ctx)  # [N, D]
        times["extract"] = time.perf_counter() - t0
        diagnostics: dict[str, float] = {}
        if ctx.is_main:
            if runtime.save_features:
                save_epoch_features(run_dir=run_dir, epoch=epoch, features=features, records=train_records)
            labels, core, cluster_times, diagnostics = _pseudo_label_step(features, train_records, clustering, epoch)
            times.update(cluster_times)
            labels, core = labels.to(device), core.to(device)  # [N], [N]
        else:
            labels = torch.empty(n_real, dtype=torch.long, device=device)
            core = torch.empty(n_real, dtype=torch.bool, device=device)
        labels = broadcast_from_main(labels, ctx)
        core = broadcast_from_main(core, ctx)
        num_clusters, num_outliers = int(labels.max().item()) + 1, int((labels < 0).sum().item())
        if num_clusters < 2:
            hint = (f"lower cluster.eps (now {clustering.eps_for(epoch)}): almost everything merged into one cluster"
                    if num_outliers < n_real // 2 else
                    f"raise cluster.eps (now {clustering.eps_for(epoch)}) or lower cluster.min_samples ({clustering.min_samples})")
            raise TrainingFailure(f"epoch {epoch}: DBSCAN found {num_clusters} cluster(s) among {n_real} images; {hint}",
                                  epoch=epoch)
        memory = ClusterMemory(
            features=features, labels=labels, num_clusters=num_clusters,
            momentum=memory_options.momentum, instance_momentum=memory_options.instance_momentum, core=core,
        )
        all_labels = torch.cat([labels, labels[source]])  # [N + M]: generated images take their source's label
        instance_index = torch.cat([
            torch.where(labels >= 0, torch.arange(n_real, device=device), -1),
            torch.full((source.numel(),), -1, dtype=torch.long, device=device),
        ])  # [N + M]
        sampler = PKSampler(
            labels.cpu().numpy(), num_identities=optim.num_identities, num_instances=optim.num_instances,
            seed=runtime.seed * 1009 + epoch * 7919 + ctx.rank,
            cameras=real_cameras if optim.camera_aware else None,
        )
        mixer = None
        if source.numel() and generated.fraction > 0 and epoch >= generated.start_epoch:
            mixer = GeneratedBatchMixer(source_labels=labels[source].cpu().numpy(), num_real=n_real,
                                        fraction=generated.fraction, seed=runtime.seed * 1013 + epoch * 31 + ctx.rank)
        t0 = time.perf_counter()
        losses = train_one_epoch(
            model=train_model, optimizer=optimizer, loss_fn=loss_fn, memory=memory, pixels=pixels,
            labels=all_labels, instance_index=instance_index, sampler=sampler, iterations=optim.iterations,
            amp_dtype=runtime.amp_dtype, channels_last=runtime.channels_last, generator=aug_gen,
            progress=runtime.progress and ctx.is_main, desc=f"epoch {epoch} train",
            gather=(lambda t: all_gather_cat(t, ctx)) if ctx.enabled else None,
            level_scale=level_ramp.scale(epoch),
            mix_generated=mixer, num_real=n_real, generated_loss_fn=generated_loss,
        )
        times["train"] = time.perf_counter() - t0
        finite_weights = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        if not finite_weights or not all(math.isfinite(v) for v in losses.values()):
            bad = ", ".join(f"{k} {v}" for k, v in losses.items() if not math.isfinite(v)) or "weights"
            raise TrainingFailure(
                f"epoch {epoch}: the loss is not finite ({bad}); lower train.lr (now {optim.lr}); "
                "this epoch was not saved", epoch=epoch)
        scheduler.step()
        row: dict[str, Any] = {
            "epoch": epoch, "clusters": num_clusters, "outliers": num_outliers,
            "lr": optimizer.param_groups[0]["lr"],
            **{f"loss_{k}": v for k, v in losses.items()},
            **{f"time_{k}": round(v, 3) for k, v in times.items()},
            "level_scale": level_ramp.scale(epoch),
            **diagnostics,
        }
        last_epoch = epoch == optim.epochs - 1
        if not ctx.is_main:
            history.rows.append(row)
            ctx.barrier()
            continue
        if evaluate is not None and (last_epoch or (runtime.eval_every > 0 and (epoch + 1) % runtime.eval_every == 0)):
            t0 = time.perf_counter()
            row.update(evaluate(model))
            row["time_eval"] = round(time.perf_counter() - t0, 3)
        history.rows.append(row)
        append_metrics(run_dir, row)
        logger.info("%s | %s", _epoch_line(row), clock.line(finished_epoch=epoch))
        save_atomic(
            {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "history": history.rows, "model_spec": model_spec or {}},
            last_path,
        )
        if plotter is not None:
            plotter.request()
        ctx.barrier()
    if plotter is not None:
        plotter.close()
    if ctx.is_main:
        save_atomic(
            {"model": model.state_dict(), "model_spec": model_spec or {}, "history": history.rows}, run_dir / "model.pth"
        )
    return history


def _epoch_line(row: dict[str, Any]) -> str:
    parts = [f"epoch {row['epoch']:3d}", f"clusters {row['clusters']}", f"outliers {row['outliers']}"]
    if "size_max" in row:
        parts.append(f"eps {row['eps']:.3f} sizes max {row['size_max']:.0f} median {row['size_median']:.0f}")
    parts += [f"{k[5:]} {row[k]:.3f}" for k in ("loss_centroid", "loss_intra", "loss_inter") if k in row]
    if "pl_nmi" in row:
        parts.append(f"pseudo NMI {row['pl_nmi']:.3f} P/R {row.get('pl_precision', 0):.2f}/{row.get('pl_recall', 0):.2f}"
                     f" same-camera merges {row.get('pl_false_merge_same_camera', 0):.2f}")
    if "mAP" in row:
        parts.append(f"mAP {100 * row['mAP']:.1f} R1 {100 * row['R1']:.1f}")
    parts.append("time " + " ".join(f"{k[5:]} {v:.1f}s" for k, v in row.items() if k.startswith("time_")))
    return " | ".join(parts)
