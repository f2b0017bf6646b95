"""Training and extraction throughput of unreid against the hardware ceiling, measured in one process.

Two ceilings, both on random input already on the device, at the same resolution and
batch size, forward+backward+Adam images/s (bf16 autocast, channels_last, with and
without ``torch.compile``) and forward-only images/s at a large batch:

* ``same_net``: unreid's own network (last stride 1, GeM, BN neck, sub-batch BatchNorm),
  the limit a training step can reach; the ratios are taken to this one;
* ``bare``: a bare timm ResNet-50 (last stride 2, no re-ID head), for scale.

Every unreid figure is then a ratio to the same-network ceiling:

* train: the real step of ``train_one_epoch`` (uint8 bank on the device, batched
  augmentation, embedding model with sub-batch BatchNorm, multi-level loss over a
  cluster memory, Adam, memory updates);
* extract: ``extract_features`` over a uint8 bank.

Usage (GPU):  python benchmarks/throughput.py --out bench.json
Usage (CPU, small):  python benchmarks/throughput.py --device cpu --batch 32 --height 128 --width 64 --steps 3 --no-compile
Usage (the CPU recipe): python benchmarks/throughput.py --device cpu --backbone mobilenetv2_100 --last-stride 2 \
    --batch 64 --samples-per-bn 64 --infer-batch 256 --height 128 --width 64 --steps 5 --warmup 2 --no-compile
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import timm
import torch
import torch.nn.functional as F

from unreid.data.pk_sampler import PKSampler
from unreid.engine.extract import autocast_context, extract_features
from unreid.engine.batch_stream import BatchStream
from unreid.engine.train_epoch import train_one_epoch
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory
from unreid.models.embedding_model import build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], None], *, steps: int, warmup: int, device: torch.device) -> float:
    """Seconds per call after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    sync(device)
    return (time.perf_counter() - start) / steps


NETWORK: dict[str, Any] = {"backbone": "resnet50", "samples_per_bn": 64, "last_stride_one": True}  # set by main()


def _network(kind: str, device: torch.device) -> torch.nn.Module:
    """``bare``: the timm backbone alone; ``same_net``: unreid's embedding network with sub-batch BatchNorm."""
    if kind == "bare":
        net = timm.create_model(NETWORK["backbone"], num_classes=0)
    else:
        net = build_embedding_model(backbone=NETWORK["backbone"], last_stride_one=NETWORK["last_stride_one"])
        use_ghost_batch_norm(net, samples_per_bn=NETWORK["samples_per_bn"])
    return net.to(device).to(memory_format=torch.channels_last)


def ceiling_train(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None, compiled: bool,
                  kind: str = "same_net") -> float:
    net = _network(kind, device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4, **({"fused": True} if device.type == "cuda" else {}))
    run = torch.compile(net) if compiled else net
    x = torch.randn(args.batch, 3, args.height, args.width, device=device).contiguous(memory_format=torch.channels_last)

    def step() -> None:
        with autocast_context(device, amp):
            loss = run(x).float().pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return args.batch / timed(step, steps=args.steps, warmup=args.warmup + (3 if compiled else 0), device=device)


def ceiling_infer(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None, compiled: bool,
                  kind: str = "same_net") -> float:
    net = _network(kind, device).eval()
    run = torch.compile(net) if compiled else net
    x = torch.randn(args.infer_batch, 3, args.height, args.width, device=device).contiguous(memory_format=torch.channels_last)

    @torch.no_grad()
    def step() -> None:
        with autocast_context(device, amp):
            run(x)

    return args.infer_batch / timed(step, steps=args.steps, warmup=args.warmup + (2 if compiled else 0), device=device)


def train_setup(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None,
                compiled: bool) -> tuple[dict[str, Any], PKSampler]:
    """Keyword arguments of ``train_one_epoch`` for unreid's real step on a random uint8 bank."""
    n, clusters = args.bank, max(args.bank // 16, 2)
    model = _network("same_net", device)
    run = torch.compile(model) if compiled else model
    pixels = torch.randint(0, 256, (n, 3, args.height, args.width), dtype=torch.uint8, device=device)
    labels = torch.arange(n, device=device) % clusters
    width = model.embedding_dim  # type: ignore[attr-defined]
    memory = ClusterMemory(features=F.normalize(torch.randn(n, width, device=device), dim=1), labels=labels,
                           num_clusters=clusters)
    opt = torch.optim.Adam(model.parameters(), lr=3.5e-4, **({"fused": True} if device.type == "cuda" else {}))
    p = max(args.batch // 16, 1)
    sampler = PKSampler(labels.cpu().numpy(), num_identities=p, num_instances=args.batch // p)
    batches = BatchStream(pixels=pixels, labels=labels, instance_index=torch.arange(n, device=device), num_real=n,
                          sampler=sampler, device=device, generator=torch.Generator(device=device), channels_last=True)
    kwargs = dict(model=run, optimizer=opt, loss=BatchQueryLoss(MultiLevelContrastiveLoss()), memory=memory,
                  batches=batches, amp_dtype=amp, progress=False)
    return kwargs, sampler


def unreid_train(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None, compiled: bool) -> float:
    kwargs, sampler = train_setup(args, device, amp, compiled)
    train_one_epoch(iterations=args.warmup + (3 if compiled else 0), **kwargs)
    sync(device)
    start = time.perf_counter()
    train_one_epoch(iterations=args.steps, **kwargs)
    sync(device)
    return sampler.batch_size * args.steps / (time.perf_counter() - start)


def unreid_extract(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None) -> float:
    model = _network("same_net", device)
    n = args.infer_batch * args.steps
    pixels = torch.randint(0, 256, (n, 3, args.height, args.width), dtype=torch.uint8, device=device)
    extract_features(model, pixels[: args.infer_batch], batch_size=args.infer_batch, amp_dtype=amp, channels_last=True, progress=False)
    sync(device)
    start = time.perf_counter()
    extract_features(model, pixels, batch_size=args.infer_batch, amp_dtype=amp, channels_last=True, progress=False)
    sync(device)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--bank", type=int, default=4096, help="images in the synthetic uint8 bank / memory")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--out", default="benchmark_throughput.json")
    parser.add_argument("--backbone", default="resnet50", help="timm name, e.g. tf_efficientnet_lite0, mobilenetv2_100")
    parser.add_argument("--samples-per-bn", type=int, default=64, help="ghost BatchNorm group (0 = plain)")
    parser.add_argument("--last-stride", type=int, choices=[1, 2], default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    NETWORK.update(backbone=args.backbone, samples_per_bn=args.samples_per_bn, last_stride_one=args.last_stride == 1)
    device = torch.device(args.device)
    amp = torch.bfloat16 if device.type == "cuda" else None
    torch.backends.cudnn.benchmark = True
    rows: dict[str, float] = {}
    for kind in ("same_net", "bare"):
        rows[f"{kind}_ceiling_train"] = ceiling_train(args, device, amp, compiled=False, kind=kind)
        rows[f"{kind}_ceiling_infer"] = ceiling_infer(args, device, amp, compiled=False, kind=kind)
        if not args.no_compile:
            rows[f"{kind}_ceiling_train_compiled"] = ceiling_train(args, device, amp, compiled=True, kind=kind)
            rows[f"{kind}_ceiling_infer_compiled"] = ceiling_infer(args, device, amp, compiled=True, kind=kind)
    rows["unreid_train"] = unreid_train(args, device, amp, compiled=False)
    if not args.no_compile:
        rows["unreid_train_compiled"] = unreid_train(args, device, amp, compiled=True)
    rows["unreid_extract"] = unreid_extract(args, device, amp)
    best_train = max(v for k, v in rows.items() if k.startswith("same_net_ceiling_train"))
    best_infer = max(v for k, v in rows.items() if k.startswith("same_net_ceiling_infer"))
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__, "backbone": args.backbone, "threads": torch.get_num_threads(), "batch": args.batch, "size": [args.height, args.width],
        "amp": str(amp), "images_per_s": {k: round(v, 1) for k, v in rows.items()},
        "ratio_train": round(max(v for k, v in rows.items() if k.startswith("unreid_train")) / best_train, 3),
        "ratio_extract": round(rows["unreid_extract"] / best_infer, 3),
        "peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == "cuda" else None,
    }
    print(f"{'measure':<28}{'img/s':>10}")
    for key, value in rows.items():
        print(f"{key:<28}{value:>10.1f}")
    print(f"train ratio to the same-network ceiling:   {report['ratio_train']:.2f}")
    print(f"extract ratio to the same-network ceiling: {report['ratio_extract']:.2f}")
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    np.random.seed(0)
    main()
