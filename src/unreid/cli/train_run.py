"""``unreid train`` as a function: check, guard the run folder, decode, build, train, report.

This is where the configuration meets the library: each section is handed to the
component it configures, as typed keyword arguments.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from unreid.cli.camera_parts import switch_off_camera_parts
from unreid.cli.dataset_loading import load_training_split
from unreid.cli.enhancement_building import build_enhancement_set, generated_image_options
from unreid.cli.model_building import build_model, model_spec
from unreid.cli.run_failures import stop_cleanly
from unreid.cli.run_folder import (
    ResumeMode,
    RunLock,
    check_run_folder,
    clear_run_files,
    ensure_run_dir,
    keep_finished_model,
    remove_stale_temp_files,
)
from unreid.config.loader import config_to_dict, save_config
from unreid.config.schema import RunConfig, TrainConfig
from unreid.config.validation import validate_config, validate_split
from unreid.data.image_bank import ImageBank
from unreid.data.records import ReIDSplit
from unreid.engine.checkpoint import resume_point
from unreid.engine.distributed import DistributedContext, init_from_env
from unreid.engine.epoch_hooks import (
    CheckpointHook,
    EpochHook,
    EvaluationHook,
    FeatureDumpHook,
    MetricsLogHook,
    PlotHook,
)
from unreid.engine.evaluate import QueryGalleryEvaluator
from unreid.engine.mean_teacher import MeanTeacher
from unreid.engine.model_selection import ModelSelectionHook
from unreid.engine.precision import resolve_amp, resolve_device
from unreid.engine.pseudo_labeller import build_labeller, configured_labeller_name
from unreid.engine.run_log import write_json
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.generated_queries import BatchQueryLoss, generated_query_loss
from unreid.losses.level_ramp import LevelRamp
from unreid.losses.levels import level_weights
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss

logger = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    run_dir: Path
    before: dict[str, float]
    after: dict[str, float]
    history: list[dict[str, Any]]
    wall_time: float


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_training(
    config: RunConfig, *, resume: bool | ResumeMode = False, overwrite: bool = False, progress: bool = True
) -> RunOutcome:
    """The whole job: data, model, generator, unsupervised training, evaluation, report files.

    The configuration is checked and the run folder guarded (see
    :mod:`unreid.cli.run_folder`) before any file is written; failures during the run end
    in :class:`~unreid.cli.run_failures.RunStopped`. Under ``torchrun`` every process
    trains (DDP) and rank 0 evaluates and writes the report.

    Args:
        resume: ``True`` (or :attr:`ResumeMode.REQUIRED`) continues from ``last.pth`` and
            refuses without it; :attr:`ResumeMode.AUTO` starts fresh when there is none.
        overwrite: replace the files of a run already in ``output_dir``.
    """
    start = time.perf_counter()
    validate_config(config)
    mode = resume if isinstance(resume, ResumeMode) else (ResumeMode.REQUIRED if resume else ResumeMode.NO)
    ctx = init_from_env()
    run_dir = Path(config.output_dir).expanduser()
    resuming = mode is not ResumeMode.NO
    if ctx.is_main:
        resuming = check_run_folder(run_dir, resume=mode, overwrite=overwrite, config=config_to_dict(config),
                                    model_spec=model_spec(config.model, config.data).to_dict())
    split = load_training_split(config, validate=False)  # file names only: a quick scan before anything is written
    requested, (config, _) = config, switch_off_camera_parts(config, train_records=split.train)
    validate_split(config, split)
    ensure_run_dir(run_dir)
    with RunLock(run_dir) if ctx.is_main else contextlib.nullcontext(), stop_cleanly(run_dir):
        if ctx.is_main:
            remove_stale_temp_files(run_dir)
            if overwrite:
                clear_run_files(run_dir)
            if resuming:
                keep_finished_model(run_dir, epochs=config.train.epochs)
            save_config(requested, run_dir / "config.yaml")  # what was asked; the switch-off repeats on resume
        return _run(config, split, run_dir=run_dir, resume=resuming, progress=progress, ctx=ctx, start=start)


def _decode(config: RunConfig, split: ReIDSplit, *, device: torch.device, progress: bool, run_dir: Path,
            is_main: bool) -> tuple[ReIDSplit, dict[str, ImageBank]]:
    """Every image of the split decoded once; unreadable files left out (and listed) or refused."""
    data = config.data
    bank_device = device if data.device_resident else torch.device("cpu")
    banks = {name: ImageBank(records, height=data.height, width=data.width, device=bank_device, progress=progress,
                             bad_files=data.bad_files)
             for name, records in (("train", split.train), ("query", split.query), ("gallery", split.gallery))
             if records}
    bad = [(name, path, reason) for name, bank in banks.items() for path, reason in bank.bad_files]
    if bad and is_main:
        lines = "".join(f"{name}\t{path}\t{reason}\n" for name, path, reason in bad)
        (run_dir / "bad_files.txt").write_text(lines, encoding="utf-8", errors="surrogateescape")
        logger.warning("%d unreadable image(s) skipped; the list is in %s", len(bad), run_dir / "bad_files.txt")
    kept = {name: bank.records for name, bank in banks.items()}  # without skipped unreadable files
    split = dataclasses.replace(split, train=kept["train"], query=kept.get("query", []), gallery=kept.get("gallery", []))
    return split, banks


def _run(
    config: RunConfig, split: ReIDSplit, *, run_dir: Path, resume: bool, progress: bool, ctx: DistributedContext,
    start: float,
) -> RunOutcome:
    """Decode, build, evaluate before, train (or resume), evaluate after and report; each step a function below."""
    t = config.train
    device = _prepare_process(t, ctx)
    progress = progress and ctx.is_main
    amp = resolve_amp(t.amp, device)
    split, banks = _decode(config, split, device=device, progress=progress, run_dir=run_dir, is_main=ctx.is_main)
    evaluator = _evaluator(config, split, banks, amp=amp, progress=progress)
    model = build_model(config.model, device=device, channels_last=t.channels_last)
    before = evaluator.with_grid(model, run_dir / "ranked_lists_before.png") if ctx.is_main and evaluator else {}
    if before:
        logger.info("before training: %s", _fmt(before))
    enhancement = build_enhancement_set(config.generator, train_records=split.train, train_bank=banks["train"],
                                        seed=t.seed, run_dir=run_dir, is_main=ctx.is_main, progress=progress)
    runtime = TrainerRuntime(amp_dtype=amp, extract_batch_size=config.eval.batch_size, progress=progress, dist_ctx=ctx,
                             extract_engine=config.eval.engine)
    hooks = _hooks(config, split, evaluator, run_dir=run_dir, is_main=ctx.is_main)
    trainer = _trainer(config, split, banks, model=model, enhancement=enhancement, hooks=hooks, runtime=runtime)
    point = resume_point(run_dir) if resume else None
    if point is not None:
        trainer.resume_from(point)
    history = trainer.fit()
    if not ctx.is_main:
        return RunOutcome(run_dir=run_dir, before={}, after={}, history=history, wall_time=time.perf_counter() - start)
    return _report(config, trainer, evaluator, before=before, device=device, run_dir=run_dir, start=start)


def _prepare_process(train: TrainConfig, ctx: DistributedContext) -> torch.device:
    """Seeds every generator, sets the thread count, and returns the device this process trains on."""
    seed_everything(train.seed)
    if train.threads > 0:
        torch.set_num_threads(train.threads)
    device = resolve_device(train.device)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    return device


def _evaluator(config: RunConfig, split: ReIDSplit, banks: dict[str, ImageBank], *, amp: torch.dtype | None,
               progress: bool) -> QueryGalleryEvaluator | None:
    """The query/gallery evaluator, or ``None`` (with a warning) when there is nothing with identities to score."""
    if "query" not in banks or "gallery" not in banks:
        logger.warning("%s has no query/gallery images: training without evaluation", split.name)
        return None
    if not (any(r.person_id >= 0 for r in split.query) and any(r.person_id >= 0 for r in split.gallery)):
        logger.warning("%s: the query/gallery images carry no identities (no pid in their names), so there is no "
                       "ground truth to score against: training without evaluation", split.name)
        return None
    return QueryGalleryEvaluator(
        query_pixels=banks["query"].pixels, gallery_pixels=banks["gallery"].pixels, query_records=split.query,
        gallery_records=split.gallery, rerank=config.eval.rerank, batch_size=config.eval.batch_size,
        amp_dtype=amp, channels_last=config.train.channels_last, progress=progress,
        grid_queries=config.eval.grid_queries, engine=config.eval.engine)


def _hooks(config: RunConfig, split: ReIDSplit, evaluator: QueryGalleryEvaluator | None, *, run_dir: Path,
           is_main: bool) -> list[EpochHook]:
    """Evaluation and the feature dump (every process), then model selection, the metrics log, checkpoints and
    plots (the main process)."""
    t = config.train
    hooks: list[EpochHook] = [EvaluationHook(evaluator, every=t.eval_every)] if evaluator else []
    if t.save_features:
        hooks.append(FeatureDumpHook(run_dir, records=split.train))
    if is_main:
        spec = model_spec(config.model, config.data).to_dict()
        hooks += [ModelSelectionHook(run_dir, model_spec=spec, keep_every=t.keep_checkpoints), MetricsLogHook(run_dir),
                  CheckpointHook(run_dir, model_spec=spec), PlotHook(run_dir)]
    return hooks


def _trainer(config: RunConfig, split: ReIDSplit, banks: dict[str, ImageBank], *, model: nn.Module,
             enhancement: EnhancementSet | None, hooks: list[EpochHook], runtime: TrainerRuntime) -> UnsupervisedTrainer:
    """The trainer of ``model`` on the decoded training images, with the configured labeller, loss and teacher."""
    t, l = config.train, config.loss
    loss_fn = MultiLevelContrastiveLoss(
        temperature=l.temperature, weights=level_weights(l), intra_mode=l.intra_mode, inter_mode=l.inter_mode,
        positive_pool=l.positive_pool, camera_entropy_weight=l.camera_entropy_weight,
    )
    generated = generated_image_options(config.generator)
    objective = TrainingObjective(
        labeller=build_labeller(configured_labeller_name(config.cluster), cluster=config.cluster),
        loss=BatchQueryLoss(loss_fn, generated_query_loss(loss_fn, generated.levels) if enhancement else None),
        memory=l, level_ramp=LevelRamp(start=l.ramp_start, length=l.ramp_epochs),
    )
    return UnsupervisedTrainer(
        model=model, data=TrainingSet(pixels=banks["train"].pixels, records=split.train, enhancement=enhancement,
                                      generated=generated),
        objective=objective, train=t, hooks=hooks, runtime=runtime,
        teacher=MeanTeacher(model, momentum=t.teacher_momentum) if t.teacher_momentum > 0 else None,
    )


def _report(config: RunConfig, trainer: UnsupervisedTrainer, evaluator: QueryGalleryEvaluator | None, *,
            before: dict[str, float], device: torch.device, run_dir: Path, start: float) -> RunOutcome:
    """The main process's ending: the evaluation after training, ``results.json`` and the closing log line."""
    history = trainer.history
    # train.epochs=0: nothing trained, no "after" to report
    after = (evaluator.with_grid(trainer.inference_model, run_dir / "ranked_lists_after.png")
             if evaluator is not None and history else {})
    wall = time.perf_counter() - start
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()} threads"
    results: dict[str, Any] = {"before": before or None, "after": after or None, "wall_time_s": round(wall, 1),
                               "device": str(device), "device_name": device_name, "config": config_to_dict(config)}
    if evaluator is None:
        results["note"] = ("not evaluated: no query/gallery images with known identities; give data.folder_query "
                           "and data.folder_gallery with person ids in the names to measure mAP")
    write_json(run_dir / "results.json", results)
    logger.info("after training: %s (%.0f s)", _fmt(after) if after else "not evaluated", wall)
    return RunOutcome(run_dir=run_dir, before=before, after=after, history=history, wall_time=wall)


def _fmt(m: dict[str, float]) -> str:
    return " ".join(f"{k} {100 * v:.1f}" for k, v in m.items())
