"""Shared ``--checkpoint`` / ``--onnx`` options of the commands that embed images."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unreid.retrieval.image_input import ImageInput


@dataclass
class Embedder:
    """A loaded model: ``embed(images) -> float32 [N, D]`` numpy, its fingerprint and name."""

    embed: Callable[[Sequence[ImageInput]], np.ndarray]
    fingerprint: str | None
    source: Path


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--checkpoint", type=Path, help="model.pth written by `unreid train`")
    group.add_argument("--onnx", type=Path, help="model.onnx written by `unreid export onnx` (runs without torch)")
    parser.add_argument("--device", default="cpu", help="torch device for --checkpoint (cpu, cuda, cuda:1)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per forward pass")


def load_embedder(args: argparse.Namespace) -> Embedder:
    """The model named by ``--checkpoint`` or ``--onnx``."""
    if args.batch_size < 1:
        raise ValueError(f"--batch-size {args.batch_size} must be >= 1")
    if args.onnx is not None:
        from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

        onnx_model = OnnxFeatureExtractor(args.onnx, batch_size=args.batch_size)
        return Embedder(onnx_model, onnx_model.fingerprint, args.onnx)
    from unreid.engine.precision import resolve_device
    from unreid.retrieval.feature_extractor import FeatureExtractor

    torch_model = FeatureExtractor.from_checkpoint(args.checkpoint, device=resolve_device(args.device),
                                                   batch_size=args.batch_size)
    return Embedder(lambda images: torch_model(images).cpu().numpy(), torch_model.fingerprint, args.checkpoint)
