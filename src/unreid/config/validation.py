"""Check a whole :class:`RunConfig` before the first expensive step.

A bad value found after decoding, evaluation and generator fitting costs minutes; one
found by the library is worded in the library's terms. Every check here runs in
milliseconds and each problem is reported as ``key=value: what is allowed``; all
problems are listed together, so one correction round is enough.
:func:`validate_config` needs only the config; :func:`validate_split` runs once the data
set's file names are parsed (a quick scan, no image decoded).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

from unreid.clustering.cluster_algorithm import ClusterAlgorithm
from unreid.clustering.infomap_clustering import INSTALL_HINT
from unreid.config.option import option_info
from unreid.config.schema import RunConfig
from unreid.config.split_checks import split_problems
from unreid.data.image_bank import BadFilePolicy
from unreid.data.records import ReIDSplit
from unreid.data.registry import DATASETS
from unreid.generator.generator_kind import GeneratorKind
from unreid.losses.levels import level_names

logger = logging.getLogger(__name__)


def _range_and_choice_problems(section: Any, prefix: str = "") -> list[str]:
    """Each option's declared range or choice list, checked on its current value."""
    problems = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            problems += _range_and_choice_problems(value, prefix=f"{key}.")
            continue
        info = option_info(f)
        if info is None:
            continue
        if info.range is not None:
            integer = isinstance(f.default, int) and not isinstance(f.default, bool)
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not numeric or (integer and not isinstance(value, int)) or not info.range.contains(float(value)):
                problems.append(f"{key}={value!r}: expected {info.range.describe(integer=integer)}")
        if info.choices is not None and value not in info.choices():
            problems.append(f"{key}={value!r}: valid values are {', '.join(info.choices())}")
    return problems


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
    problems = _range_and_choice_problems(config)
    if not config.output_dir.strip():
        problems.append("output_dir='': give the folder for checkpoints and reports")
    device = _device_problem(config.train.device)
    if device:
        problems.append(device)
    problems += _model_problems(config)
    problems += _cluster_problems(config)
    problems += _data_problems(config)
    problems += _generator_problems(config)
    if config.train.threads > (os.cpu_count() or 1) * 4:
        problems.append(f"train.threads={config.train.threads}: this machine has {os.cpu_count()} CPU cores")
    return problems


def _model_problems(config: RunConfig) -> list[str]:
    """The backbone, its initial weights and the ResNet-only options."""
    import timm

    problems = []
    backbone = config.model.backbone
    if not timm.is_model(backbone):
        close = difflib.get_close_matches(backbone, timm.list_models(), n=6, cutoff=0.6)
        hint = f"similar timm names: {', '.join(close)}" if close else "e.g. resnet50, resnet18, resnet10t"
        problems.append(f"model.backbone={backbone!r}: not a timm model name; {hint}")
    problems += _pretrained_problems(config)
    if config.model.stride_in_1x1 and not backbone.startswith("resnet"):
        problems.append(f"model.stride_in_1x1=True needs a ResNet backbone, not model.backbone={backbone!r}")
    return problems


def _pretrained_problems(config: RunConfig) -> list[str]:
    """``model.pretrained``: ImageNet weights known for the backbone, a ready model that fits, or a file."""
    ready_problems = _ready_model_problems(config)
    if config.model.pretrained == "imagenet":
        from unreid.weights.registry import weights_names

        if config.model.backbone not in weights_names():
            return [f"model.pretrained=imagenet: no ImageNet weights known for model.backbone="
                    f"{config.model.backbone!r}; known: {sorted(weights_names())}"]
    elif ready_problems is not None:
        return ready_problems
    elif config.model.pretrained and not Path(config.model.pretrained).expanduser().is_file():
        return [f"model.pretrained={config.model.pretrained!r}: file not found; create it with "
                "`unreid weights`, give another file, or set model.pretrained=''"]
    return []


def _cluster_problems(config: RunConfig) -> list[str]:
    problems = []
    if config.cluster.k2 > config.cluster.k1:
        problems.append(f"cluster.k2={config.cluster.k2}: must not exceed cluster.k1={config.cluster.k1}")
    if config.cluster.algorithm is ClusterAlgorithm.INFOMAP and importlib.util.find_spec("infomap") is None:
        problems.append(f"{INSTALL_HINT}; or set cluster.algorithm=dbscan")
    return problems


def _data_problems(config: RunConfig) -> list[str]:
    """The data set's root, and the query/gallery folders of ``data.dataset=folder``."""
    problems = []
    root = Path(config.data.root).expanduser()
    entry = DATASETS.get(config.data.dataset)
    if entry is not None and entry.reads_existing_root and not root.is_dir():
        problems.append(f"data.root={config.data.root!r}: not a folder; point it at the {config.data.dataset} data set")
    for key in ("data.folder_query", "data.folder_gallery"):
        value = _get(config, key)
        if config.data.dataset == "folder" and value and not Path(value).expanduser().is_dir():
            problems.append(f"{key}={value!r}: not a folder")
    if config.data.dataset == "folder" and bool(config.data.folder_query) != bool(config.data.folder_gallery):
        problems.append("data.folder_query and data.folder_gallery: give both (for evaluation) or neither")
    return problems


def _generator_problems(config: RunConfig) -> list[str]:
    """The loss levels generated images enter, their folder, and the generator's image size."""
    problems = []
    levels = [part.strip() for part in config.generator.levels.split(",") if part.strip()]
    if not levels or set(levels) - set(level_names()):
        problems.append(f"generator.levels={config.generator.levels!r}: one or more of {', '.join(level_names())}, "
                        "comma-separated")
    if config.generator.generated_dir and not config.generator.enabled:
        problems.append(f"generator.generated_dir={config.generator.generated_dir!r}: unused while generator.enabled="
                        "false; set generator.enabled=true (`unreid train --generated DIR` does both), or leave it empty")
    if config.generator.generated_dir and config.generator.enabled:
        problems.extend(_generated_dir_problems(config.generator.generated_dir))
    g = config.generator.training
    if g.height % 16 or g.width % 16:
        problems.append(f"generator.training.height={g.height}, width={g.width}: both must be multiples of 16")
    return problems


def _ready_model_problems(config: RunConfig) -> list[str] | None:
    """``None`` when model.pretrained names no ready model, else what stops the warm start from it (``[]``: nothing)."""
    from unreid.models.model_spec import ModelSpec
    from unreid.weights.ready_models import check_ready_spec, ready_model_name

    m = config.model
    try:
        name = ready_model_name(m.pretrained) if m.pretrained else None
    except ValueError as error:
        return [f"model.pretrained={m.pretrained!r}: {error}"]
    if name is None:
        return None
    configured = ModelSpec(backbone=m.backbone, height=config.data.height, width=config.data.width,
                           last_stride_one=m.last_stride_one, stride_in_1x1=m.stride_in_1x1,
                           embedding_dim=m.embedding_dim)
    try:
        check_ready_spec(name, configured=configured)
    except ValueError as error:
        return [str(error)]
    return []


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
    if config.generator.enabled and config.generator.kind is not GeneratorKind.NONE and cameras < 2:
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
    problems += split_problems(config, split)
    unknown = sum(1 for r in split.train if r.person_id < 0)
    if config.cluster.oracle and unknown:
        problems.append(f"cluster.oracle=true needs ground-truth identities, but {unknown} of {n} training images "
                        f"under data.root={config.data.root!r} have none; set cluster.oracle=false, or name the "
                        "files so that data.folder_pattern's pid group finds the identity")
    unusable = _missing_or_empty(split)
    if unusable and config.data.bad_files is BadFilePolicy.ERROR:
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


def _generated_dir_problems(value: str) -> list[str]:
    """A ``generator.generated_dir`` that is no folder, or has no readable manifest, before any image is decoded."""
    from unreid.generator.manifest import read_manifest

    folder = Path(value).expanduser()
    if not folder.is_dir():
        return [f"generator.generated_dir={value!r}: not a folder; render one with `unreid generator render`"]
    try:
        entries = read_manifest(folder)
    except ValueError as error:
        return [f"generator.generated_dir={value!r}: {error}"]
    if not entries:
        return [f"generator.generated_dir={value!r}: the manifest lists no generated image; render the folder again"]
    return []

