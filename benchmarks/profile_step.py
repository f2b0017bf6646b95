"""Where unreid's training step spends its time: ``torch.profiler`` over a few real steps.

Prints the top operators by self time on the device (CPU when there is none) and the
step's wall time against the summed device-kernel time: the difference is host-side
gaps (Python, launches, synchronisations) during which the device idles.

Usage (GPU):  python benchmarks/profile_step.py [--compile] --trace trace.json
Usage (CPU, small):  python benchmarks/profile_step.py --device cpu --batch 32 --height 128 --width 64 --steps 2
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from throughput import sync, unreid_train_setup  # run from benchmarks/
from torch.profiler import ProfilerActivity, profile

from unreid.engine.train_epoch import train_one_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--bank", type=int, default=4096)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--trace", default=None, help="write a Chrome trace here")
    parser.add_argument("--backbone", default="resnet50", help="timm name, e.g. tf_efficientnet_lite0, mobilenetv2_100")
    parser.add_argument("--samples-per-bn", type=int, default=64, help="ghost BatchNorm group (0 = plain)")
    parser.add_argument("--last-stride", type=int, choices=[1, 2], default=1)
    args = parser.parse_args()
    device = torch.device(args.device)
    amp = torch.bfloat16 if device.type == "cuda" else None
    torch.backends.cudnn.benchmark = True
    kwargs, sampler = unreid_train_setup(args, device, amp)
    if args.compile:
        kwargs["step"] = dataclasses.replace(kwargs["step"], model=torch.compile(kwargs["step"].model))
    train_one_epoch(iterations=args.warmup + (3 if args.compile else 0), **kwargs)
    sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        train_one_epoch(iterations=args.steps, **kwargs)
        sync(device)
        wall = (time.perf_counter() - start) / args.steps
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=args.top))
    if device.type == "cuda":
        kernel_s = sum(e.self_device_time_total for e in prof.key_averages()) / 1e6 / args.steps
        print(f"step wall {1000 * wall:.1f} ms, device kernels {1000 * kernel_s:.1f} ms, "
              f"host-side gaps {1000 * max(wall - kernel_s, 0.0):.1f} ms ({100 * max(wall - kernel_s, 0) / wall:.0f}%)")
    else:
        print(f"step wall {1000 * wall:.1f} ms ({sampler.batch_size / wall:.1f} images/s)")
    if args.trace:
        prof.export_chrome_trace(args.trace)


if __name__ == "__main__":
    main()
