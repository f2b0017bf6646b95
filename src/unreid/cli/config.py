"""Run configuration: dataclasses, YAML files and ``--set key=value`` overrides.

Precedence: the dataclass defaults (the paper's Market-1501 settings), then each
``--config`` YAML in order, then ``--set section.key=value``. The resolved
configuration is written as ``config.yaml`` next to the run's checkpoints. Only the
CLI reads this; library functions take typed keyword arguments.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class DataConfig:
    dataset: str = "market1501"  # market1501 | msmt17 | folder | synthetic
    root: str = "data/market1501"
    height: int = 256
    width: int = 128
    folder_pattern: str = r"(?P<pid>\d+)_c(?P<cam>\d+)"  # generic folders: regex on file names
    folder_query: str = ""
    folder_gallery: str = ""
    synthetic_identities: int = 120
    synthetic_seed: int = 0
    synthetic_camera_strength: float = 0.0  # 0 = cameras differ only in layout/blur/noise, 1 = full colour casts
    device_resident: bool = True  # decode once into a uint8 tensor on the training device
    max_train_images: int = 0  # >0: only the first N training images in file order (quick CPU runs)
    bad_files: str = "skip"  # skip | error: unreadable images are left out (listed) or stop the run


@dataclass
class ModelConfig:
    backbone: str = "resnet50"
    pretrained: str = ""  # path to ImageNet weights, "imagenet" = the backbone's cached weights (`unreid weights --name`), "" = none
    pretrained_download: bool = False  # timm's own download where the network allows
    stride_in_1x1: bool = False  # ResNet v1 layout (Keras-converted weights)
    last_stride_one: bool = True
    embedding_dim: int = 0
    gem_p: float = 3.0
    samples_per_bn: int = 64  # images per BatchNorm statistics group (0 = plain BatchNorm)


@dataclass
class ClusterConfig:
    k1: int = 30
    k2: int = 6
    eps: float = 0.6
    min_samples: int = 4
    method: str = "sparse"  # sparse | dense
    eps_policy: str = "fixed"  # fixed | schedule (eps_start -> eps over eps_epochs) | auto (from the distances)
    eps_start: float = 0.6
    eps_epochs: int = 0
    auto_rho: float = 1.6e-3  # auto: eps = mean of the smallest rho fraction of pairwise distances
    camera_centering: bool = False  # subtract each camera's mean feature before clustering
    oracle: bool = False  # diagnostics only: ground-truth identities instead of clustering (supervised upper bound)


@dataclass
class LossConfig:
    temperature: float = 0.05
    centroid: bool = True
    intra: bool = True
    inter: bool = True
    centroid_weight: float = 1.0
    intra_weight: float = 1.0
    inter_weight: float = 1.0
    momentum: float = 0.1
    instance_momentum: float = 0.1
    intra_mode: str = "query"  # query: farthest from the query | centroid: farthest from its own centroid
    inter_mode: str = "query"  # query: hardest for the query | centroid: each cluster's farthest from its centroid
    positive_pool: str = "all"  # all | core (DBSCAN core points) | batch (members in the current batch)
    ramp_start: int = 0  # first epoch with the intra/inter levels on
    ramp_epochs: int = 0  # epochs to ramp them to full weight


@dataclass
class GeneratorConfig:
    enabled: bool = True  # false = no generated images whatever the kind
    kind: str = "color"  # none | color (per-camera colour transform, fitted in-process) | learned (needs generated_dir)
    per_image: int = 1  # color, fitted in-process: target cameras per image
    generated_dir: str = ""  # a folder written by `unreid generator render` (any kind); set by `unreid train --generated`
    batch_fraction: float = 0.25  # share of every batch given to generated images (queries only)
    levels: str = "centroid,intra,inter"  # loss levels whose queries include generated images
    start_epoch: int = 0  # first epoch with generated images


@dataclass
class TrainConfig:
    epochs: int = 50
    iterations: int = 200
    num_identities: int = 16
    num_instances: int = 16
    lr: float = 3.5e-4
    weight_decay: float = 5e-4
    lr_step: int = 20
    lr_gamma: float = 0.1
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    amp: str = "auto"  # auto (bf16 on CUDA) | bf16 | none
    channels_last: bool = True
    compile: bool = False
    eval_every: int = 10
    threads: int = 0  # torch CPU threads (0 = torch's default)
    camera_aware: bool = False  # P x K sampler: an identity's K images span its cameras
    save_features: bool = False  # each epoch's training features (float16 .npy) in OUTPUT_DIR/features


@dataclass
class EvalConfig:
    rerank: bool = False
    batch_size: int = 256
    grid_queries: int = 6


@dataclass
class RunConfig:
    output_dir: str = "runs/default"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def _coerce(value: Any, like: Any, key: str) -> Any:
    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{key}: expected true/false, got {value!r}")
    for kind in (int, float):
        if isinstance(like, kind):
            try:
                return kind(value)
            except (TypeError, ValueError) as error:
                raise ValueError(f"{key}: expected a {kind.__name__}, got {value!r}") from error
    return str(value)


def _apply(obj: Any, values: dict[str, Any], prefix: str = "") -> None:
    names = {f.name for f in dataclasses.fields(obj)}
    for key, value in values.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ValueError(f"unknown config key {full!r}; valid keys here: {sorted(names)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"{full}: expected a mapping of {sorted(f.name for f in dataclasses.fields(current))}")
            _apply(current, value, prefix=f"{full}.")
        else:
            setattr(obj, key, _coerce(value, current, full))


def packaged_configs() -> list[str]:
    """Names of the configs shipped with unreid (``--config market1501``)."""
    return sorted(p.name[: -len(".yaml")] for p in resources.files("unreid.configs").iterdir() if p.name.endswith(".yaml"))


def resolve_config_file(path: Path | str) -> Path:
    """A YAML file path, or the name of a packaged config (``market1501``, ``synthetic_cpu``, ...)."""
    candidate = Path(path).expanduser()
    if candidate.is_file():
        return candidate
    name = str(path)[: -len(".yaml")] if str(path).endswith(".yaml") else str(path)
    if name in packaged_configs():
        return Path(str(resources.files("unreid.configs") / f"{name}.yaml"))
    raise ValueError(f"{path}: config file not found (packaged configs: {', '.join(packaged_configs())})")


def load_config(*, files: list[Path] | None = None, overrides: list[str] | None = None, base: dict[str, Any] | None = None) -> RunConfig:
    """Defaults, then ``base``, then YAML ``files``, then ``key=value`` ``overrides``."""
    config = RunConfig()
    if base:
        _apply(config, base)
    for path in files or []:
        path = resolve_config_file(path)
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({error})") from error
        if not isinstance(values, dict):
            raise ValueError(f"{path}: the top level must be a mapping of sections (data, model, ...)")
        _apply(config, values)
    for item in overrides or []:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected section.key=value, e.g. train.epochs=10")
        dotted, raw = item.split("=", 1)
        nested: dict[str, Any] = {}
        cursor = nested
        parts = dotted.strip().split(".")
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = yaml.safe_load(raw) if raw.strip() else raw
        _apply(config, nested)
    return config


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def save_config(config: RunConfig, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(yaml.safe_dump(config_to_dict(config), sort_keys=False), encoding="utf-8")
