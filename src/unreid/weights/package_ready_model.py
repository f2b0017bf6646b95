"""Turn a run's checkpoint into a ready model of the package: float16 weights plus a card saying where they come from.

``python -m unreid.weights.package_ready_model runs/market_cpu/best.pth`` writes
``src/unreid/ready_models/market1501_mobilenetv2.pth`` and ``market1501_mobilenetv2.json``.
Weights are stored as float16 (BatchNorm statistics as float32); the copy is checked against
the float32 checkpoint on a random batch before it is kept, and the cosine between the two
embeddings is written into the card.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from unreid.engine.checkpoint import save_atomic
from unreid.io.output_guard import check_output_file
from unreid.io.safe_load import load_checkpoint
from unreid.models.model_spec import ModelSpec
from unreid.weights.ready_models import READY_FOLDER, READY_MODELS

logger = logging.getLogger(__name__)

CHECK_IMAGES = 8
"""Random images on which the float16 copy is compared with the checkpoint."""


@dataclass(frozen=True)
class PackagedModel:
    """What :func:`package_ready_model` wrote, and the float16 check it measured."""

    path: Path
    card_path: Path
    size_bytes: int
    min_cosine: float
    max_abs_difference: float


FLOAT32_KEYS = ("running_mean", "running_var")
"""BatchNorm statistics stay float32: a mean rounded to float16 and divided by a small std moved the worst cosine on 64
market1501-dev query crops from 0.99967 to 0.99898 (MobileNetV2, 128x64); they are under 1% of the weights."""


def _half(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating weights as float16, except BatchNorm statistics (:data:`FLOAT32_KEYS`)."""
    return {key: value.half() if value.is_floating_point() and not key.endswith(FLOAT32_KEYS) else value
            for key, value in weights.items()}


def _run_config(checkpoint: Path) -> dict[str, Any] | None:
    """The ``config.yaml`` the run wrote beside its checkpoint, as plain values (``None`` when absent)."""
    path = checkpoint.parent / "config.yaml"
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None


def _agreement(spec: ModelSpec, full: dict[str, torch.Tensor], half: dict[str, torch.Tensor]) -> tuple[float, float]:
    """Min cosine and max absolute difference between the embeddings of the float32 and float16 weights."""
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(CHECK_IMAGES, 3, spec.height, spec.width, generator=generator)  # [N, 3, H, W]
    outputs = []
    for weights in (full, half):
        model = spec.build().eval()
        model.load_state_dict(weights)  # float16 values are copied into float32 parameters
        with torch.no_grad():
            outputs.append(model(images))  # [N, D], unit length
    cosine = (outputs[0] * outputs[1]).sum(dim=1)  # [N]
    return float(cosine.min()), float((outputs[0] - outputs[1]).abs().max())


def package_ready_model(
    *, checkpoint: Path, name: str = "market1501", out_dir: Path | None = None, overwrite: bool = False,
    trained_on: str | None = None,
) -> PackagedModel:
    """Write ready model ``name`` from ``checkpoint`` (``best.pth``/``model.pth`` of ``unreid train``) into ``out_dir``.

    Args:
        checkpoint: the run's checkpoint (keys ``model``, ``model_spec``; ``epoch`` and ``score`` are recorded).
        name: which ready model this is (a key of :data:`READY_MODELS`).
        out_dir: destination folder (default: the package's ``ready_models/``).
        overwrite: replace a ready model already there.
        trained_on: the data, as the card should state it (default: the entry's own description).

    Raises:
        ValueError: unknown name, a checkpoint that is not usable, an existing file without ``overwrite``,
            or float16 weights that no longer give the checkpoint's embeddings.
    """
    if name not in READY_MODELS:
        raise ValueError(f"--name {name!r}: known ready models: {', '.join(sorted(READY_MODELS))}")
    entry, folder = READY_MODELS[name], Path(out_dir) if out_dir is not None else READY_FOLDER
    path, card_path = entry.path(folder=folder), entry.card_path(folder=folder)
    for target in (path, card_path):
        check_output_file(target, flag="ready model", overwrite=overwrite, inputs=[checkpoint])
    state = load_checkpoint(checkpoint, required=("model", "model_spec"))
    spec = ModelSpec.from_dict(state["model_spec"], source=checkpoint)
    full = {key: value.float() if value.is_floating_point() else value for key, value in state["model"].items()}
    half = _half(full)
    if not all(torch.isfinite(value).all() for value in half.values() if value.is_floating_point()):
        raise ValueError(f"{checkpoint}: some weights overflow float16 (|w| > 65504); this model cannot ship as float16")
    min_cosine, max_difference = _agreement(spec, full, half)
    if min_cosine < 0.999:
        raise ValueError(f"{checkpoint}: the float16 copy changes the embeddings too much (min cosine {min_cosine:.5f} "
                         "< 0.999); keep the float32 checkpoint")
    from unreid import __version__

    provenance = {
        "name": name, "trained_by": f"unreid {__version__}, `unreid train` without labels (unsupervised)",
        "trained_on": trained_on or entry.data, "terms": entry.terms, "source_checkpoint": str(checkpoint),
        "epoch": state.get("epoch"), "score": state.get("score"), "score_name": state.get("score_name"),
        "packaged": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "config": _run_config(checkpoint),
    }
    folder.mkdir(parents=True, exist_ok=True)
    save_atomic({"model": half, "model_spec": spec.to_dict(), "provenance": provenance}, path)
    path.chmod(0o644)  # a package data file: readable by every user of the installation
    size = path.stat().st_size
    card = {**{k: v for k, v in provenance.items() if k != "config"}, "file": path.name, "size_bytes": size,
            "size_mb": round(size / 1e6, 2),
            "dtype": "float16, BatchNorm running statistics float32 (all loaded as float32)",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "model_spec": spec.to_dict(),
            "float16_check": {"images": CHECK_IMAGES, "min_cosine": round(min_cosine, 6),
                              "max_abs_difference": round(max_difference, 6)},
            "use": f"--checkpoint {name} (extract, search, serve, index build), `unreid identities {name} DIR`, "
                   f"`unreid evaluate {name}`, model.pretrained={name} (warm start)",
            "config": provenance["config"]}
    card_path.write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")
    logger.info("wrote %s (%.2f MB) and %s", path, size / 1e6, card_path)
    return PackagedModel(path, card_path, size, min_cosine, max_difference)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unreid.weights.package_ready_model", description=__doc__)
    parser.add_argument("checkpoint", type=Path, help="best.pth (or model.pth) of an `unreid train` run")
    parser.add_argument("--name", default="market1501", help=f"ready model name ({', '.join(sorted(READY_MODELS))})")
    parser.add_argument("--out-dir", type=Path, default=None, help=f"destination folder (default {READY_FOLDER})")
    parser.add_argument("--trained-on", default=None, help="the data, as the card should state it")
    parser.add_argument("--overwrite", action="store_true", help="replace a ready model already there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        packaged = package_ready_model(checkpoint=args.checkpoint, name=args.name, out_dir=args.out_dir,
                                       overwrite=args.overwrite, trained_on=args.trained_on)
    except ValueError as error:
        logger.error("%s", error)
        return 2
    print(f"{'path':<12}{packaged.path}\n{'card':<12}{packaged.card_path}\n{'size':<12}{packaged.size_bytes} bytes "
          f"({packaged.size_bytes / 1e6:.2f} MB)\n{'fp16 check':<12}min cosine {packaged.min_cosine:.6f}, max |diff| "
          f"{packaged.max_abs_difference:.2e} on {CHECK_IMAGES} random images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
