"""Ready models shipped inside the package: ``--checkpoint market1501`` works right after ``pip install``.

A ready model is an ``unreid train`` checkpoint stored in float16 (half the size; BatchNorm statistics float32) in
``unreid/ready_models/``, with a JSON card beside it saying how, when and on which data
it was trained and under which terms that data may be used. Commands that take a
checkpoint accept its name (``market1501``, or ``ready:market1501`` to be explicit); an
existing *file* of that name always wins over the bare name, so no path changes meaning.
``model.pretrained=market1501`` starts a new training from its full embedding weights.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from unreid.io.safe_load import load_checkpoint
from unreid.models.model_spec import ModelSpec

logger = logging.getLogger(__name__)

READY_FOLDER = Path(__file__).resolve().parents[1] / "ready_models"
"""Where the packaged files live (``src/unreid/ready_models``); tests point it elsewhere."""

READY_PREFIX = "ready:"
"""``ready:NAME`` always means the packaged model, whatever files lie in the current folder."""

PACKAGE_COMMAND = "python -m unreid.weights.package_ready_model RUN_DIR/best.pth"


@dataclass(frozen=True)
class ReadyModel:
    """One model the package can ship: its name, file and the data it was trained on."""

    name: str
    file_name: str
    data: str
    terms: str

    @property
    def card_name(self) -> str:
        return Path(self.file_name).with_suffix(".json").name

    def path(self, *, folder: Path | None = None) -> Path:
        return (folder or READY_FOLDER) / self.file_name

    def card_path(self, *, folder: Path | None = None) -> Path:
        return (folder or READY_FOLDER) / self.card_name


READY_MODELS: dict[str, ReadyModel] = {
    "market1501": ReadyModel(
        name="market1501", file_name="market1501_mobilenetv2.pth",
        data="market1501-dev: the training images of Market-1501 (Zheng et al., ICCV 2015), used without their labels",
        terms="Market-1501 may be used for research purposes only; the weights inherit that restriction",
    ),
}

ARCHITECTURE_KEYS = ("backbone", "last_stride_one", "stride_in_1x1", "embedding_dim")
"""``model_spec`` entries that decide the shapes of the weights (``gem_p`` is a learned weight itself)."""

CONFIG_KEYS = {"backbone": "model.backbone", "last_stride_one": "model.last_stride_one",
               "stride_in_1x1": "model.stride_in_1x1", "embedding_dim": "model.embedding_dim",
               "height": "data.height", "width": "data.width"}
"""The configuration key of each compared ``model_spec`` entry, for the messages."""


def _unknown(name: str) -> ValueError:
    return ValueError(f"{READY_PREFIX}{name}: no ready model of that name; known: {', '.join(sorted(READY_MODELS))}")


def ready_model_name(value: str | Path) -> str | None:
    """The ready model ``value`` names, or ``None`` when it is a path.

    ``ready:NAME`` always names one (``ValueError`` listing the known names otherwise); a
    bare ``NAME`` does unless a file of that name exists (a folder of that name, such as a
    data set called ``market1501``, does not count: it is no checkpoint).
    """
    text = str(value)
    if text.startswith(READY_PREFIX):
        name = text[len(READY_PREFIX):]
        if name not in READY_MODELS:
            raise _unknown(name)
        return name
    if text in READY_MODELS and not Path(text).expanduser().is_file():
        return text
    return None


def ready_model_path(name: str, *, folder: Path | None = None) -> Path:
    """The packaged file of ready model ``name``; ``ValueError`` saying how to get it when it is absent."""
    if name not in READY_MODELS:
        raise _unknown(name)
    path = READY_MODELS[name].path(folder=folder)
    if not path.is_file():
        raise ValueError(f"the ready model {name!r} is not in this installation (no {path}); install a release of "
                         f"unreid that ships it, or package a run of your own with `{PACKAGE_COMMAND}`")
    return path


def resolve_model_file(value: str | Path) -> Path:
    """A checkpoint argument as a file: a ready model's packaged file for its name, else the path itself."""
    name = ready_model_name(value)
    if name is None:
        return Path(value).expanduser()
    path = ready_model_path(name)
    logger.info("%s: the ready model %s", value, path)
    return path


def load_ready_model(name: str, *, folder: Path | None = None) -> tuple[dict[str, torch.Tensor], ModelSpec]:
    """The float32 state dict and the spec of ready model ``name`` (stored as float16)."""
    path = ready_model_path(name, folder=folder)
    state = load_checkpoint(path, required=("model", "model_spec"), what="ready model")
    spec = ModelSpec.from_dict(state["model_spec"], source=path)
    weights = {key: value.float() if value.is_floating_point() else value for key, value in state["model"].items()}
    return weights, spec


def spec_mismatch(name: str, *, ready: ModelSpec, configured: ModelSpec, keys: tuple[str, ...]) -> str | None:
    """What differs among ``keys`` and the settings that fit (``data.height=256 (the ready model has 128)``), or ``None``."""
    have, want = ready.to_dict(), configured.to_dict()
    differ = [key for key in keys if have[key] != want[key]]
    if not differ:
        return None
    found = "; ".join(f"{CONFIG_KEYS[key]}={want[key]} (the ready model has {have[key]})" for key in differ)
    fix = " ".join(f"{CONFIG_KEYS[key]}={have[key]}" for key in differ)
    return (f"model.pretrained={name}: the configuration does not fit the ready model: {found}; set {fix} "
            "(or model.pretrained=imagenet to start from ImageNet weights)")


def check_ready_spec(name: str, *, configured: ModelSpec) -> None:
    """``ValueError`` when the configured backbone or input size differ from ready model ``name``'s."""
    _, ready = load_ready_model(name)
    mismatch = spec_mismatch(name, ready=ready, configured=configured, keys=(*ARCHITECTURE_KEYS, "height", "width"))
    if mismatch:
        raise ValueError(mismatch)


def load_ready_weights(model: nn.Module, *, name: str, configured: ModelSpec) -> Path:
    """Warm start: copy every weight of ready model ``name`` into ``model`` (an embedding model of ``configured``).

    Raises:
        ValueError: the architecture differs (naming the configuration keys to set), or the
            weights do not fit the network.
    """
    weights, ready = load_ready_model(name)
    mismatch = spec_mismatch(name, ready=ready, configured=configured, keys=ARCHITECTURE_KEYS)
    if mismatch:
        raise ValueError(mismatch)
    path = ready_model_path(name)
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise ValueError(f"{path}: weights do not fit the model {configured} ({str(error)[:200]})") from error
    logger.info("model.pretrained=%s: loaded all %d weights of the ready model %s (%s, %dx%d)", name, len(weights),
                path, ready.backbone, ready.height, ready.width)
    return path


def ready_model_card(name: str, *, folder: Path | None = None) -> dict[str, Any] | None:
    """The JSON card beside ready model ``name``'s file, or ``None`` when there is none."""
    card = READY_MODELS[name].card_path(folder=folder)
    if not card.is_file():
        return None
    loaded = json.loads(card.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None


def describe_ready_models(*, folder: Path | None = None) -> list[str]:
    """One line per ready model: name, size or absence, architecture and the data's terms."""
    lines = []
    for name, entry in sorted(READY_MODELS.items()):
        path = entry.path(folder=folder)
        if path.is_file():
            card = ready_model_card(name, folder=folder) or {}
            spec = card.get("model_spec") or {}
            shape = f"{spec.get('backbone', '?')} {spec.get('height', '?')}x{spec.get('width', '?')}"
            where = f"{path.stat().st_size / 1e6:.1f} MB float16, {shape}, {path}"
        else:
            where = f"not in this installation (package one with `{PACKAGE_COMMAND}`)"
        lines.append(f"{name:<11}{where}; trained on {entry.data}; terms: {entry.terms}")
    return lines
