"""Check a whole :class:`RunConfig` before the first expensive step.

A bad value found after decoding, evaluation and generator fitting costs minutes; one
found by the library is worded in the library's terms. Every check here runs in
milliseconds and each problem is reported as ``key=value: what is allowed``; all
problems are listed together, so one correction round is enough.
:func:`validate_config` needs only the config; :func:`validate_split` runs once the data
set's file names are parsed (a quick scan, no image decoded).
"""

from __future__ import annotations

import difflib
import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unreid.cli.config import RunConfig
from unreid.clustering import JaccardMethod
from unreid.clustering.eps_policy import EpsPolicy
from unreid.data.image_bank import BadFilePolicy
from unreid.data.records import ReIDSplit
from unreid.losses.multilevel_contrastive import ExtremeMode, PositivePool

logger = logging.getLogger(__name__)

DATASETS = ("market1501", "msmt17", "folder", "synthetic")
AMP_CHOICES = ("auto", "bf16", "fp16", "none")

Check = Callable[[Any], bool]


def _int_at_least(low: int) -> tuple[Check, str]:
    return (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low), f"an integer >= {low}"


def _float_in(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> tuple[Check, str]:
    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)

    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return check, f"a number in {left}{low}, {high}{right}"


_RANGES: dict[str, tuple[Check, str]] = {
    "data.height": _int_at_least(16),
    "data.width": _int_at_least(8),
    "data.synthetic_identities": _int_at_least(4),
    "data.synthetic_camera_strength": _float_in(0.0, 1.0),
    "data.max_train_images": _int_at_least(0),
    "model.embedding_dim": _int_at_least(0),
    "model.gem_p": _float_in(0.0, 100.0, low_open=True),
    "model.samples_per_bn": _int_at_least(0),  # 0: plain BatchNorm
    "cluster.k1": _int_at_least(1),
    "cluster.k2": _int_at_least(1),
    "cluster.eps": _float_in(0.0, 1.0, low_open=True, high_open=True),
    "cluster.min_samples": _int_at_least(1),
    "cluster.eps_start": _float_in(0.0, 1.0, low_open=True, high_open=True),
    "cluster.eps_epochs": _int_at_least(0),
    "cluster.auto_rho": _float_in(0.0, 1.0, low_open=True),
    "loss.temperature": _float_in(0.0, 10.0, low_open=True),
    "loss.centroid_weight": _float_in(0.0, 1e6),
    "loss.intra_weight": _float_in(0.0, 1e6),
    "loss.inter_weight": _float_in(0.0, 1e6),
    "loss.momentum": _float_in(0.0, 1.0),
    "loss.instance_momentum": _float_in(0.0, 1.0),
    "loss.ramp_start": _int_at_least(0),
    "loss.ramp_epochs": _int_at_least(0),
    "generator.per_image": _int_at_least(0),
    "generator.batch_fraction": _float_in(0.0, 1.0, high_open=True),
    "generator.start_epoch": _int_at_least(0),
    "train.epochs": _int_at_least(0),  # 0: evaluate the initial model only
    "train.iterations": _int_at_least(1),
    "train.num_identities": _int_at_least(1),
    "train.num_instances": _int_at_least(1),
    "train.lr": _float_in(0.0, 1.0, low_open=True),
    "train.weight_decay": _float_in(0.0, 1.0),
    "train.lr_step": _int_at_least(1),
    "train.lr_gamma": _float_in(0.0, 1.0, low_open=True),
    "train.eval_every": _int_at_least(0),
    "train.threads": _int_at_least(0),
    "eval.batch_size": _int_at_least(1),
    "eval.grid_queries": _int_at_least(0),
}
"""Key -> (check, allowed values in words)."""

_CHOICES: dict[str, tuple[str, ...]] = {
    "data.dataset": DATASETS,
    "data.bad_files": tuple(p.value for p in BadFilePolicy),
    "cluster.method": tuple(m.value for m in JaccardMethod),
    "cluster.eps_policy": tuple(p.value for p in EpsPolicy),
    "loss.intra_mode": tuple(m.value for m in ExtremeMode),
    "loss.inter_mode": tuple(m.value for m in ExtremeMode),
    "loss.positive_pool": tuple(p.value for p in PositivePool),
    "train.amp": AMP_CHOICES,
    "generator.kind": ("none", "color", "learned"),
}


def _get(config: RunConfig, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(config, section), name)


def _device_problem(name: str) -> str | None:
    import torch

    if name == "auto":
        return None
    try:
        device = torch.device(name)
    except RuntimeError:
        return f"train.device={name!r}: not a device; use auto, cpu, cuda or cuda:N"
    if device.type == "cuda" and not torch.cuda.is_available():
        return f"train.device={name!r}: no GPU is visible; use train.device=cpu or auto"
    if device.type not in ("cpu", "cuda"):
        return f"train.device={name!r}: only auto, cpu, cuda and cuda:N are supported"
    return None


def config_problems(config: RunConfig) -> list[str]:
    """Every problem of ``config`` that can be seen without the data, one line each."""
    problems = []
    for key, (check, allowed) in _RANGES.items():
        value = _get(config, key)
        if not check(value):
            problems.append(f"{key}={value!r}: expected {allowed}")
    for key, choices in _CHOICES.items():
        value = _get(config, key)
        if value not in choices:
            problems.append(f"{key}={value!r}: valid values are {', '.join(choices)}")
    if not config.output_dir.strip():
        problems.append("output_dir='': give the folder for checkpoints and reports")
    device = _device_problem(config.train.device)
    if device:
        problems.append(device)
    import timm

    backbone = config.model.backbone
    if not timm.is_model(backbone):
        close = difflib.get_close_matches(backbone, timm.list_models(), n=6, cutoff=0.6)
        hint = f"similar timm names: {', '.join(close)}" if close else "e.g. resnet50, resnet18, resnet10t"
        problems.append(f"model.backbone={backbone!r}: not a timm model name; {hint}")
    if config.model.pretrained == "imagenet":
        from unreid.weights.registry import FETCHERS

        if config.model.backbone not in FETCHERS:
            problems.append(f"model.pretrained=imagenet: no ImageNet weights known for model.backbone="
                            f"{config.model.backbone!r}; known: {sorted(FETCHERS)}")
    elif config.model.pretrained and not Path(config.model.pretrained).expanduser().is_file():
        problems.append(f"model.pretrained={config.model.pretrained!r}: file not found; create it with "
                        "`unreid weights`, give another file, or set model.pretrained=''")
    if config.model.stride_in_1x1 and not backbone.startswith("resnet"):
        problems.append(f"model.stride_in_1x1=True needs a ResNet backbone, not model.backbone={backbone!r}")
    if config.cluster.k2 > config.cluster.k1:
        problems.append(f"cluster.k2={config.cluster.k2}: must not exceed cluster.k1={config.cluster.k1}")
    root = Path(config.data.root).expanduser()
    if config.data.dataset in ("market1501", "msmt17", "folder") and not root.is_dir():
        problems.append(f"data.root={config.data.root!r}: not a folder; point it at the {config.data.dataset} data set")
    for key in ("data.folder_query", "data.folder_gallery"):
        value = _get(config, key)
        if config.data.dataset == "folder" and value and not Path(value).expanduser().is_dir():
            problems.append(f"{key}={value!r}: not a folder")
    if config.data.dataset == "folder" and bool(config.data.folder_query) != bool(config.data.folder_gallery):
        problems.append("data.folder_query and data.folder_gallery: give both (for evaluation) or neither")
    if config.train.threads > (os.cpu_count() or 1) * 4:
        problems.append(f"train.threads={config.train.threads}: this machine has {os.cpu_count()} CPU cores")
    return problems


def validate_config(config: RunConfig) -> None:
    """Raise one ``ValueError`` listing every problem of ``config``; touches no file."""
    problems = config_problems(config)
    if problems:
        raise ValueError("invalid configuration: " + "; ".join(problems))


def validate_split(config: RunConfig, split: ReIDSplit) -> None:
    """Checks that need the parsed data set (file names only; no image is decoded).

    Raises:
        ValueError: naming the config key and the data set property that conflict.
    """
    problems = []
    cameras = split.num_train_cameras
    if config.generator.enabled and config.generator.kind != "none" and cameras < 2:
        problems.append(
            f"generator.enabled=True: the camera-style generator needs at least 2 training cameras, but "
            f"data.root={config.data.root!r} has {cameras}; set generator.enabled=false or fix the cam group "
            "of data.folder_pattern"
        )
    n = len(split.train)
    if n < 2 * config.cluster.min_samples:
        problems.append(
            f"data.root={config.data.root!r}: {n} training image(s), too few for cluster.min_samples="
            f"{config.cluster.min_samples} (need at least {2 * config.cluster.min_samples})"
        )
    unknown = sum(1 for r in split.train if r.person_id < 0)
    if config.cluster.oracle and unknown:
        problems.append(f"cluster.oracle=true needs ground-truth identities, but {unknown} of {n} training images "
                        f"under data.root={config.data.root!r} have none; set cluster.oracle=false, or name the "
                        "files so that data.folder_pattern's pid group finds the identity")
    unusable = _missing_or_empty(split)
    if unusable and config.data.bad_files == "error":
        shown = ", ".join(str(p) for p in unusable[:20]) + (f" and {len(unusable) - 20} more" if len(unusable) > 20 else "")
        problems.append(f"data.bad_files='error': {len(unusable)} image file(s) are missing or empty: {shown}; "
                        "delete them or set data.bad_files=skip")
    elif unusable:
        logger.warning("%d image file(s) are missing or empty and will be skipped (data.bad_files=skip)", len(unusable))
    if problems:
        raise ValueError("invalid configuration for this data set: " + "; ".join(problems))


def _missing_or_empty(split: ReIDSplit) -> list[Path]:
    """Files of the split that do not exist or hold zero bytes (one ``stat`` each, no decoding)."""
    unusable = []
    for record in [*split.train, *split.query, *split.gallery]:
        try:
            if record.path.stat().st_size == 0:
                unusable.append(record.path)
        except OSError:
            unusable.append(record.path)
    return unusable
