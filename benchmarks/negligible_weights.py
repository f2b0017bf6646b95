"""How much tiny weights slow inference: a trained model's throughput as trained and with every weight below a
bound set to zero, in onnxruntime and torch, in one process.

Usage: python benchmarks/negligible_weights.py RUN/model.pth [--bounds 1.2e-38 1e-20 1e-8] [--threads 2]

Each row re-exports the model (onnxruntime, in memory, as ``eval.engine`` does) after zeroing, so the rows are
cumulative: a larger bound also zeroes what the smaller ones did. Random ``uint8`` crops at the model's input size;
best of 3 passes over 1,024 crops (onnxruntime) and one pass over 512 (torch).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

from unreid.engine.onnx_inference import build_session
from unreid.retrieval.feature_extractor import FeatureExtractor


def throughput(model: nn.Module, pixels: torch.Tensor, *, threads: int) -> tuple[float, float]:
    """``(onnxruntime, torch)`` images per second of ``model`` on ``pixels [N, 3, H, W]``."""
    session = build_session(model, example=pixels[:2], threads=threads)
    name = session.get_inputs()[0].name
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, pixels.shape[0], 128):
            session.run(None, {name: pixels[i:i + 128].numpy()})
        best = min(best, time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        start = time.perf_counter()
        for i in range(0, 512, 128):
            model(pixels[i:i + 128].float() / 255)
        torch_rate = 512 / (time.perf_counter() - start)
    return pixels.shape[0] / best, torch_rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a model.pth written by unreid train")
    parser.add_argument("--bounds", type=float, nargs="+", default=[torch.finfo(torch.float32).tiny, 1e-20, 1e-8])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    extractor = FeatureExtractor.from_checkpoint(args.model, device=torch.device("cpu"))
    model, (height, width) = extractor.model, (extractor.height, extractor.width)
    pixels = torch.randint(0, 256, (1024, 3, height, width), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    params = [t for t in [*model.parameters(), *model.buffers()] if t.is_floating_point()]
    print("| weights | zeroed entries | onnxruntime img/s | torch img/s |\n|---|---:|---:|---:|")
    rates = throughput(model, pixels, threads=args.threads)
    print(f"| as trained | 0 | {rates[0]:.0f} | {rates[1]:.0f} |", flush=True)
    for bound in sorted(args.bounds):
        with torch.no_grad():
            zeroed = sum(int(((t.abs() < bound) & (t != 0)).sum()) for t in params)
            for t in params:
                t.masked_fill_(t.abs() < bound, 0.0)
        rates = throughput(model, pixels, threads=args.threads)
        print(f"| below {bound:.3g} zeroed | {zeroed} | {rates[0]:.0f} | {rates[1]:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
