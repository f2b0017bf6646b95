"""Shared ``--checkpoint`` / ``--onnx`` options of the commands that embed images."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unreid.engine.inference_engine import InferenceEngine
from unreid.retrieval.image_input import ImageInput


@dataclass
class Embedder:
    """A loaded model: ``embed(images) -> float32 [N, D]`` numpy, its fingerprint and name."""

    embed: Callable[[Sequence[ImageInput]], np.ndarray]
    fingerprint: str | None
    source: Path


def model_file(text: str) -> Path:
    """argparse type of a checkpoint: a path, or a ready model's name (``market1501``, ``ready:market1501``)."""
    from unreid.weights.ready_models import resolve_model_file

    try:
        return resolve_model_file(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def add_model_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--checkpoint", type=model_file,
                       help="model.pth written by `unreid train`, or a ready model's name: market1501 (a file of "
                       "that name wins; ready:market1501 never means a file)")
    group.add_argument("--onnx", type=Path, help="model.onnx written by `unreid export onnx` (runs without torch)")
    parser.add_argument("--device", default="cpu", help="torch device for --checkpoint (cpu, cuda, cuda:1)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per forward pass")
    parser.add_argument("--engine", choices=[e.value for e in InferenceEngine], default=InferenceEngine.AUTO.value,
                        help="--checkpoint's inference engine: auto (onnxruntime on the CPU when installed), torch, "
                        "onnxruntime (--onnx always runs onnxruntime)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads shared by torch, onnxruntime and faiss (0 = torch's default, else every core)")


def load_embedder(args: argparse.Namespace) -> Embedder:
    """The model named by ``--checkpoint`` or ``--onnx``."""
    from unreid.engine.cpu_threads import configure_threads

    if args.batch_size < 1:
        raise ValueError(f"--batch-size {args.batch_size} must be >= 1")
    if args.onnx is not None:
        from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

        if args.engine == "torch":
            raise ValueError(f"--engine torch runs a --checkpoint; {args.onnx} is run by onnxruntime (drop --engine)")
        threads = configure_threads(args.threads)  # faiss, when the index loaded it, gets the same number
        onnx_model = OnnxFeatureExtractor(args.onnx, batch_size=args.batch_size, threads=threads)
        return Embedder(onnx_model, onnx_model.fingerprint, args.onnx)
    from unreid.engine.precision import resolve_device
    from unreid.retrieval.feature_extractor import FeatureExtractor

    configure_threads(args.threads)  # torch (and onnxruntime, which takes torch's number) and faiss
    torch_model = FeatureExtractor.from_checkpoint(args.checkpoint, device=resolve_device(args.device),
                                                   batch_size=args.batch_size, engine=args.engine)
    return Embedder(lambda images: torch_model(images).cpu().numpy(), torch_model.fingerprint, args.checkpoint)
