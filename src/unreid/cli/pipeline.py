"""Translate a :class:`RunConfig` into library calls: the one place configuration is read."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from unreid.cli.config import RunConfig, config_to_dict, save_config
from unreid.cli.config_validation import validate_config, validate_split
from unreid.cli.run_failures import stop_cleanly
from unreid.cli.run_folder import ResumeMode, RunLock, check_run_folder, clear_run_files, remove_stale_temp_files
from unreid.clustering import JaccardMethod
from unreid.clustering.eps_policy import EpsPolicy
from unreid.data.image_bank import BadFilePolicy, ImageBank
from unreid.data.records import Record, ReIDSplit
from unreid.engine.distributed import DistributedContext, init_from_env
from unreid.engine.evaluate import evaluate_model
from unreid.engine.unsupervised_trainer import (
    ClusteringOptions, MemoryOptions, OptimOptions, RuntimeOptions, train_unsupervised,
)
from unreid.evaluation import save_ranked_list_grid
from unreid.generator.camera_style import CameraStyleGenerator
from unreid.generator.enhancement_set import EnhancementSet, generate_enhancement_set
from unreid.generator.generated_queries import GeneratedImageOptions, parse_levels
from unreid.generator.manifest import load_enhancement_set
from unreid.generator.style_grid import save_style_grid
from unreid.losses.level_ramp import LevelRamp
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import EmbeddingModel, build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm
from unreid.weights.registry import resolve_pretrained

logger = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"train.device={name!r} is not a device; use auto, cpu, cuda or cuda:N") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device asks for CUDA but no GPU is visible; use train.device=cpu")
    return device


def resolve_amp(name: str, device: torch.device) -> torch.dtype | None:
    choices = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    if name not in choices:
        raise ValueError(f"train.amp={name!r}; valid values: auto, {', '.join(choices)}")
    return choices[name]


def load_split(config: RunConfig) -> ReIDSplit:
    """The configured data set, through :func:`unreid.data.registry.load_dataset`."""
    from unreid.data.registry import load_dataset

    data = config.data
    options: dict[str, Any] = {}
    if data.dataset == "synthetic":
        from unreid.data.synthetic import SyntheticConfig

        options["config"] = SyntheticConfig(num_identities=data.synthetic_identities, seed=data.synthetic_seed,
                                            camera_strength=data.synthetic_camera_strength)
    elif data.dataset == "folder":
        options = {"pattern": data.folder_pattern,
                   "query": Path(data.folder_query) if data.folder_query else None,
                   "gallery": Path(data.folder_gallery) if data.folder_gallery else None}
    return load_dataset(data.dataset, Path(data.root).expanduser(), **options)


def model_spec(config: RunConfig) -> dict[str, Any]:
    """What ``unreid evaluate`` needs to rebuild the model of a checkpoint."""
    m = config.model
    return {
        "backbone": m.backbone, "last_stride_one": m.last_stride_one, "stride_in_1x1": m.stride_in_1x1,
        "embedding_dim": m.embedding_dim, "gem_p": m.gem_p, "height": config.data.height, "width": config.data.width,
    }


def build_model(config: RunConfig, device: torch.device) -> EmbeddingModel:
    m = config.model
    model = build_embedding_model(
        backbone=m.backbone, pretrained_path=resolve_pretrained(m.pretrained, backbone=m.backbone),
        pretrained_download=m.pretrained_download, last_stride_one=m.last_stride_one,
        stride_in_1x1=m.stride_in_1x1, embedding_dim=m.embedding_dim, gem_p=m.gem_p,
    )
    use_ghost_batch_norm(model, samples_per_bn=m.samples_per_bn)
    model = model.to(device)
    if config.train.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


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
        resuming = check_run_folder(run_dir, resume=mode, overwrite=overwrite, config=config_to_dict(config))
    split = load_training_split(config)  # parses file names only: a quick scan before anything is written
    run_dir.mkdir(parents=True, exist_ok=True)
    with RunLock(run_dir) if ctx.is_main else contextlib.nullcontext(), stop_cleanly(run_dir):
        if ctx.is_main:
            remove_stale_temp_files(run_dir)
            if overwrite:
                clear_run_files(run_dir)
            save_config(config, run_dir / "config.yaml")
        return _run(config, split, run_dir=run_dir, resume=resuming, progress=progress, ctx=ctx, start=start)


def load_training_split(config: RunConfig) -> ReIDSplit:
    """The configured split, cut to ``data.max_train_images``, checked against the config."""
    split = load_split(config)
    if config.data.max_train_images > 0:
        # File order: Market-1501 and the synthetic set name files by identity, so this keeps whole identities.
        split = ReIDSplit(split.name, split.train[: config.data.max_train_images], split.query, split.gallery,
                          root=split.root, notes=split.notes)
    logger.info("\n%s", split.summary())
    validate_split(config, split)
    return split


def _run(
    config: RunConfig, split: ReIDSplit, *, run_dir: Path, resume: bool, progress: bool, ctx: DistributedContext,
    start: float,
) -> RunOutcome:
    seed_everything(config.train.seed)
    if config.train.threads > 0:
        torch.set_num_threads(config.train.threads)
    device = resolve_device(config.train.device)
    if ctx.enabled and device.type == "cuda":
        device = torch.device("cuda", ctx.local_rank)
    progress = progress and ctx.is_main
    amp = resolve_amp(config.train.amp, device)
    h, w = config.data.height, config.data.width
    bank_device = device if config.data.device_resident else torch.device("cpu")
    policy = BadFilePolicy(config.data.bad_files)
    banks = {name: ImageBank(records, height=h, width=w, device=bank_device, progress=progress, bad_files=policy)
             for name, records in (("train", split.train), ("query", split.query), ("gallery", split.gallery))
             if records}
    _report_bad_files(run_dir, banks, write=ctx.is_main)
    kept = {name: bank.records for name, bank in banks.items()}  # without skipped unreadable files
    split = dataclasses.replace(split, train=kept["train"], query=kept.get("query", []), gallery=kept.get("gallery", []))
    train_bank = banks["train"]
    can_evaluate = "query" in banks and "gallery" in banks
    if not can_evaluate:
        logger.warning("%s has no query/gallery images: training without evaluation", split.name)
    query_bank, gallery_bank = banks.get("query"), banks.get("gallery")
    model = build_model(config, device)

    def evaluate(net: nn.Module, grid: Path | None = None) -> dict[str, float]:
        if query_bank is None or gallery_bank is None:
            return {}
        out = evaluate_model(
            net, query_pixels=query_bank.pixels, gallery_pixels=gallery_bank.pixels,
            query_records=split.query, gallery_records=split.gallery, rerank=config.eval.rerank,
            batch_size=config.eval.batch_size, amp_dtype=amp, channels_last=config.train.channels_last,
            progress=progress,
        )
        if grid is not None:
            save_ranked_list_grid(path=grid, query_records=split.query, gallery_records=split.gallery,
                                  distances=out.distances, num_queries=config.eval.grid_queries)
        return out.result.as_dict()

    before = evaluate(model, run_dir / "ranked_lists_before.png") if ctx.is_main else {}
    if ctx.is_main and can_evaluate:
        logger.info("before training: %s", _fmt(before))
    enhancement = build_enhancement_set(config, split.train, train_bank, run_dir=run_dir, is_main=ctx.is_main,
                                        progress=progress)
    c, l, t = config.cluster, config.loss, config.train
    try:
        method = JaccardMethod(c.method)
    except ValueError as error:
        raise ValueError(f"cluster.method={c.method!r}; valid values: {[m.value for m in JaccardMethod]}") from error
    try:
        eps_policy = EpsPolicy(c.eps_policy)
    except ValueError as error:
        raise ValueError(f"cluster.eps_policy={c.eps_policy!r}; valid values: {[m.value for m in EpsPolicy]}") from error
    history = train_unsupervised(
        model=model, train_pixels=train_bank.pixels, train_records=split.train, run_dir=run_dir,
        loss_fn=MultiLevelContrastiveLoss(
            temperature=l.temperature, use_centroid=l.centroid, use_intra=l.intra, use_inter=l.inter,
            centroid_weight=l.centroid_weight, intra_weight=l.intra_weight, inter_weight=l.inter_weight,
            intra_mode=l.intra_mode, inter_mode=l.inter_mode, positive_pool=l.positive_pool,
        ),
        level_ramp=LevelRamp(start=l.ramp_start, length=l.ramp_epochs),
        clustering=ClusteringOptions(k1=c.k1, k2=c.k2, eps=c.eps, min_samples=c.min_samples, method=method,
                                     eps_policy=eps_policy, eps_start=c.eps_start, eps_epochs=c.eps_epochs,
                                     auto_rho=c.auto_rho, camera_centering=c.camera_centering,
                                     oracle=c.oracle),
        optim=OptimOptions(epochs=t.epochs, iterations=t.iterations, num_identities=t.num_identities,
                           num_instances=t.num_instances, lr=t.lr, weight_decay=t.weight_decay,
                           lr_step=t.lr_step, lr_gamma=t.lr_gamma, camera_aware=t.camera_aware),
        memory_options=MemoryOptions(momentum=l.momentum, instance_momentum=l.instance_momentum),
        runtime=RuntimeOptions(amp_dtype=amp, channels_last=t.channels_last, compile=t.compile, progress=progress,
                               eval_every=t.eval_every, extract_batch_size=config.eval.batch_size, seed=t.seed,
                               save_features=t.save_features),
        enhancement=enhancement, generated=generated_image_options(config), evaluate=evaluate if can_evaluate else None, model_spec=model_spec(config),
        resume=resume, dist_ctx=ctx,
    )
    wall = time.perf_counter() - start
    if not ctx.is_main:
        return RunOutcome(run_dir=run_dir, before={}, after={}, history=history.rows, wall_time=wall)
    after = evaluate(model, run_dir / "ranked_lists_after.png")
    wall = time.perf_counter() - start
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu x{torch.get_num_threads()} threads"
    results = {"before": before, "after": after, "wall_time_s": round(wall, 1), "device": str(device),
               "device_name": device_name,
               "config": config_to_dict(config)}
    (run_dir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    logger.info("after training: %s (%.0f s)", _fmt(after) if after else "not evaluated", wall)
    return RunOutcome(run_dir=run_dir, before=before, after=after, history=history.rows, wall_time=wall)


def _report_bad_files(run_dir: Path, banks: dict[str, ImageBank], *, write: bool) -> None:
    """List the skipped unreadable images in ``run_dir/bad_files.txt`` (one ``path<TAB>reason`` a line)."""
    bad = [(name, path, reason) for name, bank in banks.items() for path, reason in bank.bad_files]
    if bad and write:
        lines = "".join(f"{name}\t{path}\t{reason}\n" for name, path, reason in bad)
        (run_dir / "bad_files.txt").write_text(lines, encoding="utf-8")
        logger.warning("%d unreadable image(s) skipped; the list is in %s", len(bad), run_dir / "bad_files.txt")


GENERATOR_KINDS = ("none", "color", "learned")


def generated_image_options(config: RunConfig) -> GeneratedImageOptions:
    g = config.generator
    return GeneratedImageOptions(fraction=g.batch_fraction, levels=parse_levels(g.levels), start_epoch=g.start_epoch)


def build_enhancement_set(
    config: RunConfig, train_records: list[Record], train_bank: ImageBank, *, run_dir: Path, is_main: bool,
    progress: bool,
) -> EnhancementSet | None:
    """The generated images of ``config.generator``: none, the colour baseline fitted here, or a rendered folder."""
    g = config.generator
    if g.kind not in GENERATOR_KINDS:
        raise ValueError(f"generator.kind={g.kind!r}; valid values: {', '.join(GENERATOR_KINDS)}")
    generated_options = generated_image_options(config)  # validates fraction and levels early
    if not g.enabled or g.kind == "none":
        return None
    if g.generated_dir:
        enhancement = load_enhancement_set(folder=Path(g.generated_dir), train_records=train_records,
                                           height=train_bank.height, width=train_bank.width,
                                           device=train_bank.device, progress=progress)
    elif g.kind == "learned":
        raise ValueError("generator.kind=learned needs generator.generated_dir (or `unreid train --generated DIR`): "
                         "train with `unreid generator train`, then render with `unreid generator render`")
    else:
        generator = CameraStyleGenerator(num_cameras=max(r.camera_id for r in train_records) + 1)
        generator.fit(train_bank.pixels, train_bank.camera_ids)
        enhancement = generate_enhancement_set(generator=generator, pixels=train_bank.pixels, records=train_records,
                                               per_image=g.per_image, seed=config.train.seed)
        if is_main:
            torch.save(generator.state_dict(), run_dir / "camera_style_generator.pth")
    if is_main:
        save_style_grid(path=run_dir / "generated_examples.png", real=train_bank.pixels, enhancement=enhancement,
                        num_examples=8)
    logger.info("generated images: %d (%s), %.0f%% of each batch from epoch %d, levels %s",
                enhancement.pixels.shape[0], g.generated_dir or g.kind, 100 * generated_options.fraction,
                generated_options.start_epoch, ",".join(generated_options.levels))
    return enhancement


def _fmt(m: dict[str, float]) -> str:
    return " ".join(f"{k} {100 * v:.1f}" for k, v in m.items())
