"""The epoch loop of unsupervised re-ID: extract -> pseudo-labels -> memory -> train.

Each step is a named method over one library call that is tested on its own
(:func:`extract_features`, a :class:`PseudoLabeller`, :class:`ClusterMemory`,
:func:`train_one_epoch`); evaluation, the metrics log, checkpoints and plots are
:mod:`hooks <unreid.engine.epoch_hooks>`. Under DDP every rank extracts its shard and
trains; rank 0 makes the pseudo-labels and runs the hooks.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from unreid.config.schema import TrainConfig
from unreid.engine.batch_samplers import build_sampler
from unreid.engine.batch_stream import BatchStream
from unreid.engine.checkpoint import ResumePoint
from unreid.engine.distributed import (
    all_gather_cat,
    broadcast_from_main,
    current_context,
    shard_indices,
    unshard,
)
from unreid.engine.epoch_hooks import EpochHook
from unreid.engine.extract import extract_features
from unreid.engine.failure_hints import divergence_fix, weights_problem
from unreid.engine.lr_schedulers import build_scheduler
from unreid.engine.mean_teacher import MeanTeacher
from unreid.engine.optimizers import build_optimizer
from unreid.engine.precision import grad_scaler
from unreid.engine.pseudo_labeller import EpochLabels
from unreid.engine.resume_settings import apply_resumed_settings
from unreid.engine.train_epoch import EpochStep, train_one_epoch
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.training_failure import TrainingFailure
from unreid.evaluation.label_free_score import label_free_scores
from unreid.generator.batch_mixers import build_mixer
from unreid.memory.cluster_memory import ClusterMemory
from unreid.memory.registry import build_memory

logger = logging.getLogger(__name__)

_DEFAULT_RUNTIME = TrainerRuntime()


class UnsupervisedTrainer:
    """Trains ``model`` without labels, one epoch of fresh pseudo-labels at a time.

    Args:
        model: an embedding model on its target device.
        data: the training images (see :class:`TrainingSet`).
        objective: the labeller, the batch loss, the memory options and the level ramp (see :class:`TrainingObjective`).
        train: epochs, batches, optimiser, seed, layout and compilation.
        teacher: a mean teacher of ``model``, updated after every step; when given, it makes the
            features that are clustered and is the :attr:`inference_model` (evaluated, saved as ``model.pth``).
        hooks: run in order after each epoch and after training, on the main process.
        runtime: precision, extraction batch and engine, progress bars, DDP context (see :class:`TrainerRuntime`).
    """

    def __init__(self, *, model: nn.Module, data: TrainingSet, objective: TrainingObjective, train: TrainConfig,
                 teacher: MeanTeacher | None = None, hooks: Sequence[EpochHook] = (),
                 runtime: TrainerRuntime = _DEFAULT_RUNTIME) -> None:
        self.model, self.data, self.train, self.teacher, self.hooks = model, data, train, teacher, list(hooks)
        self.labeller, self.loss = objective.labeller, objective.loss
        self.memory_options, self.level_ramp = objective.memory, objective.level_ramp
        self.after_step = [teacher.update] if teacher is not None else []
        self.amp_dtype, self.extract_batch_size = runtime.amp_dtype, runtime.extract_batch_size
        self.extract_engine = runtime.extract_engine
        self.ctx = runtime.dist_ctx or current_context()
        self.progress = runtime.progress and self.ctx.is_main
        self.device = next(model.parameters()).device
        self.epochs, self.start_epoch, self.epoch = train.epochs, 0, -1
        self.history: list[dict[str, Any]] = []
        self.failure: BaseException | None = None  # what ended fit() early, if anything
        self._times: dict[str, float] = {}
        enhancement = data.enhancement
        self.num_real = len(data.records)
        self.pixels = data.pixels if enhancement is None else torch.cat(
            [data.pixels, enhancement.pixels.to(data.pixels.device)])  # [N + M, 3, H, W]
        self.source = (enhancement.source_index.to(self.device) if enhancement is not None
                       else torch.empty(0, dtype=torch.long, device=self.device))  # [M]
        self.cameras = np.array([r.camera_id for r in data.records])  # [N]: the sampler draws real images only
        params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(train.optimizer, params, train=train, device=self.device)
        self.scheduler = build_scheduler(train.lr_scheduler, self.optimizer, train=train)  # stepped after each epoch
        self.scaler = grad_scaler(self.amp_dtype, self.device)  # float16 only; keeps its calibrated scale across epochs
        self.train_model: nn.Module = model
        if self.ctx.enabled:
            self.train_model = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if train.compile:
            self.train_model = torch.compile(self.train_model)  # type: ignore[assignment]
        self.epoch_step = EpochStep(  # what every optimiser step uses, the same in every epoch
            model=self.train_model, optimizer=self.optimizer, loss=self.loss, amp_dtype=self.amp_dtype,
            scaler=self.scaler, gather=(lambda t: all_gather_cat(t, self.ctx)) if self.ctx.enabled else None,
            after_step=self.after_step,
        )
        self.augment_generator = torch.Generator(device=self.pixels.device)
        self._next_features: tuple[int, Tensor] | None = None  # (epoch, features) extracted by score_model
        self._next_labels: tuple[int, EpochLabels] | None = None  # (epoch, labels) clustered by score_model

    def fit(self) -> list[dict[str, Any]]:
        """Train epochs ``start_epoch .. epochs - 1``; returns one metrics row per epoch.

        The hooks' ``after_training`` runs also when an epoch fails (the error is then in
        :attr:`failure` and is raised again), so plotters close and files are released.
        """
        if self.ctx.is_main:
            for hook in self.hooks:
                hook.before_training(self)
        try:
            for epoch in range(self.start_epoch, self.epochs):
                self.begin_epoch(epoch)
                features = self.extract_features(epoch)  # [N, D]
                labels = self.pseudo_labels(features, epoch)
                memory = self.build_memory(features, labels)
                losses = self.train_epoch(memory, labels, epoch)
                self.check_finite(losses, epoch)
                self.scheduler.step()
                scores = self.score_model(epoch)
                self.end_epoch({**self.epoch_row(epoch, labels, losses), **scores})
        except BaseException as error:
            self.failure = error
            raise
        finally:
            if self.ctx.is_main:
                for hook in self.hooks:
                    hook.after_training(self)
        return self.history

    @property
    def inference_model(self) -> nn.Module:
        """The model whose features are clustered, evaluated and saved: the mean teacher if any, else the model."""
        return self.teacher.model if self.teacher is not None else self.model

    # --- the steps of an epoch ---

    def begin_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.augment_generator.manual_seed(self.train.seed * 100_003 + epoch * 101 + self.ctx.rank)
        self._times = {}

    def extract_features(self, epoch: int) -> Tensor:
        """L2-normalised features ``[N, D]`` of every real training image (each rank extracts its shard), or
        those :meth:`score_model` extracted from the same weights at the end of the previous epoch."""
        t0 = time.perf_counter()
        if self._next_features is not None and self._next_features[0] == epoch:
            features = self._next_features[1]
        else:
            features = self._extract(desc=f"epoch {epoch} extract")  # [N, D]
        self._next_features = None
        self._times["extract"] = time.perf_counter() - t0
        if self.ctx.is_main:
            for hook in self.hooks:
                hook.after_extract(self, features)
        return features

    def _extract(self, *, desc: str) -> Tensor:
        pixels = self.data.pixels
        rows = shard_indices(self.num_real, self.ctx)  # this rank's share (all rows without DDP)
        local = extract_features(
            self.inference_model, pixels[rows.to(pixels.device)] if self.ctx.enabled else pixels,
            batch_size=self.extract_batch_size, amp_dtype=self.amp_dtype, channels_last=self.train.channels_last,
            progress=self.progress, desc=desc, engine=self.extract_engine,
        )  # [N / world, D]
        return unshard(all_gather_cat(local, self.ctx), self.num_real, self.ctx)  # [N, D]

    def score_model(self, epoch: int) -> dict[str, float]:
        """Label-free scores of the model after ``epoch`` (:mod:`unreid.evaluation.label_free_score`) on the
        training features as the labeller clusters them (centred per camera under ``cluster.camera_centering``),
        which the next epoch then clusters instead of extracting them again."""
        t0 = time.perf_counter()
        features = self._extract(desc=f"epoch {epoch} score")  # [N, D]
        self._next_features = (epoch + 1, features)
        scores: dict[str, float] = {}
        if self.ctx.is_main:
            cameras = torch.from_numpy(self.cameras).to(features.device)  # [N]
            clustered = None
            if getattr(self.labeller, "clusters_like_label_free_score", False):
                # the next epoch's labels are this clustering: make it once (the labeller is stateless)
                upcoming = self.labeller(features, self.data.records, epoch + 1)
                self._next_labels = (epoch + 1, upcoming)
                clustered = (upcoming.labels, upcoming.eps)
            as_clustered = getattr(self.labeller, "clustered_features", None)
            scored = as_clustered(features, cameras) if as_clustered is not None else features  # [N, D]
            scores = label_free_scores(scored, cameras, clustered=clustered)
        self._times["score"] = time.perf_counter() - t0
        return scores

    def pseudo_labels(self, features: Tensor, epoch: int) -> EpochLabels:
        """The labeller's labels on the main process, broadcast to every rank; refuses fewer than 2 clusters."""
        n = self.num_real
        if self.ctx.is_main:
            if self._next_labels is not None and self._next_labels[0] == epoch:
                result = self._next_labels[1]  # clustered by score_model from these very features
            else:
                result = self.labeller(features, self.data.records, epoch)
                self._times.update(result.timings)
            self._next_labels = None
            result.labels, result.core = result.labels.to(self.device), result.core.to(self.device)  # [N], [N]
        else:
            result = EpochLabels(labels=torch.empty(n, dtype=torch.long, device=self.device),
                                  core=torch.empty(n, dtype=torch.bool, device=self.device), eps=0.0)
        result.labels = broadcast_from_main(result.labels, self.ctx)
        result.core = broadcast_from_main(result.core, self.ctx)
        num_clusters, num_outliers = int(result.labels.max().item()) + 1, int((result.labels < 0).sum().item())
        if num_clusters < 2:
            hint = self.labeller.failure_hint(features, self.data.records, epoch=epoch, num_outliers=num_outliers,
                                              lr=self.train.lr)
            found = f"{self.labeller.name} found {num_clusters} cluster(s) among {n} images"
            raise TrainingFailure(f"epoch {epoch}: {found}; {hint}", epoch=epoch)
        return result

    def build_memory(self, features: Tensor, labels: EpochLabels) -> ClusterMemory:
        """Centroids and instances initialised from this epoch's features and labels (``loss.instance_memory``
        names the registered memory)."""
        return build_memory(
            self.memory_options.instance_memory, features=features, labels=labels.labels,
            num_clusters=int(labels.labels.max().item()) + 1, core=labels.core,
            cameras=torch.from_numpy(self.cameras).to(self.device), options=self.memory_options,
        )

    def batch_stream(self, labels: Tensor, epoch: int) -> BatchStream:
        """Batches of real images (``train.sampler``: P x K), with generated images of the same pseudo-identities
        swapped in."""
        n, seed, rank, generated = self.num_real, self.train.seed, self.ctx.rank, self.data.generated
        all_labels = torch.cat([labels, labels[self.source]])  # [N + M]: generated images take their source's label
        instance_index = torch.cat([
            torch.where(labels >= 0, torch.arange(n, device=self.device), -1),
            torch.full((self.source.numel(),), -1, dtype=torch.long, device=self.device),
        ])  # [N + M]
        sampler = build_sampler(self.train.sampler, labels.cpu().numpy(), cameras=self.cameras,
                                seed=seed * 1009 + epoch * 7919 + rank, train=self.train)
        mixer = None
        if self.source.numel() and epoch >= generated.start_epoch:
            mixer = build_mixer(generated.mixer, labels[self.source].cpu().numpy(), num_real=n,
                                seed=seed * 1013 + epoch * 31 + rank, options=generated)
        return BatchStream(pixels=self.pixels, labels=all_labels, instance_index=instance_index, num_real=n,
                           sampler=sampler, device=self.device, mix_generated=mixer, generator=self.augment_generator,
                           channels_last=self.train.channels_last)

    def train_epoch(self, memory: ClusterMemory, labels: EpochLabels, epoch: int) -> dict[str, float]:
        t0 = time.perf_counter()
        losses = train_one_epoch(
            step=self.epoch_step, memory=memory, batches=self.batch_stream(labels.labels, epoch),
            iterations=self.train.iterations, level_scale=self.level_ramp.scale(epoch), progress=self.progress,
            desc=f"epoch {epoch} train",
        )
        self._times["train"] = time.perf_counter() - t0
        return losses

    def check_finite(self, losses: dict[str, float], epoch: int) -> None:
        """Stop (without saving the epoch) when a loss or a weight is no longer finite."""
        finite_weights = all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        if not finite_weights or not all(math.isfinite(v) for v in losses.values()):
            bad = ", ".join(f"{k} {v}" for k, v in losses.items() if not math.isfinite(v)) or "weights"
            fix = divergence_fix(lr=self.train.lr, temperature=self.memory_options.temperature)
            raise TrainingFailure(f"epoch {epoch}: the loss is not finite ({bad}); {fix}; this epoch was not saved",
                                  epoch=epoch)
        blown = weights_problem(self.model, epoch=epoch, lr=self.train.lr, temperature=self.memory_options.temperature)
        if blown:
            raise TrainingFailure(blown, epoch=epoch)

    def epoch_row(self, epoch: int, labels: EpochLabels, losses: dict[str, float]) -> dict[str, Any]:
        return {
            "epoch": epoch, "clusters": int(labels.labels.max().item()) + 1,
            "outliers": int((labels.labels < 0).sum().item()), "lr": self.optimizer.param_groups[0]["lr"],
            **{f"loss_{k}": v for k, v in losses.items()},
            **{f"time_{k}": round(v, 3) for k, v in self._times.items()},
            "level_scale": self.level_ramp.scale(epoch),
            **labels.diagnostics,
        }

    def end_epoch(self, row: dict[str, Any]) -> None:
        """The hooks, on the main process, then a barrier."""
        self.history.append(row)
        if self.ctx.is_main:
            for hook in self.hooks:
                hook.after_epoch(self, row)
        self.ctx.barrier()

    # --- state ---

    def state_dict(self) -> dict[str, Any]:
        """Everything ``--resume`` needs to continue after the current epoch (``model`` is the trained
        student; ``teacher`` the mean teacher, when there is one)."""
        state = {"epoch": self.epoch, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(), "history": self.history}
        if self.teacher is not None:
            state["teacher"] = self.teacher.state_dict()
        return state

    def resume_from(self, point: ResumePoint) -> None:
        """Continue after the epoch saved at ``point`` (model, optimiser, scheduler, history).

        The optimiser settings of ``train`` (lr, weight decay, lr steps) replace the saved ones,
        so a resume with ``--set train.lr=...`` runs, and records, what it was asked for.
        """
        state = point.state
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.teacher is not None and "teacher" in state:
            self.teacher.load_state_dict(state["teacher"])
        elif self.teacher is not None:
            logger.warning("%s holds no mean teacher: the teacher starts from the resumed model", point.path)
            self.teacher.reset_to_student()
        t = self.train
        apply_resumed_settings(optimizer=self.optimizer, scheduler=self.scheduler, lr=t.lr, weight_decay=t.weight_decay,
                               lr_step=t.lr_step, lr_gamma=t.lr_gamma)
        self.start_epoch = point.epoch + 1
        self.history = list(state.get("history", []))
        logger.info("resumed from %s at epoch %d", point.path, self.start_epoch)
