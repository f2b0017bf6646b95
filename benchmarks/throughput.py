"""Training and extraction throughput of unreid against the fastest engine and layout, measured in one process.

Every variant runs on the same weights, at the same resolution and batch size, interleaved
round by round in one process (so a busy machine slows them all alike), and the best round
of each counts:

* inference, ``uint8 [B, 3, H, W]`` pixels in, embeddings out (normalisation included): torch
  eager (NCHW), torch channels-last, ``torch.compile`` (unless ``--no-compile``) and, for a CPU
  model, onnxruntime on the same weights exported with ``torch.onnx.export``. unreid's own
  path (``extract_features`` with ``--engine``, default auto, over ``--pass-batches`` batches in one
  call, as a pass runs) is given as a ratio to the fastest, and the in-memory export it pays once per
  pass of new weights (per epoch) is timed on its own;
* training step, forward + backward + Adam on random input: torch eager (NCHW) and
  channels-last (and compiled); unreid's real step (``train_one_epoch``: uint8 bank, batched
  augmentation, multi-level loss over a cluster memory, Adam, memory updates, channels-last as
  ``train.channels_last`` defaults) is given as a ratio to the best layout.

The network is unreid's embedding model (``--backbone``, ``--last-stride``, GeM, BN neck,
sub-batch BatchNorm); ``--bare`` adds a bare timm backbone's channels-last figures for scale.

Usage (GPU):  python benchmarks/throughput.py --out bench.json
Usage (the CPU recipe): python benchmarks/throughput.py --device cpu --backbone mobilenetv2_100 --last-stride 2 \
    --batch 64 --samples-per-bn 64 --infer-batch 128 --height 128 --width 64 --steps 3 --rounds 5 --threads 1 \
    --no-compile
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import timm
import torch
import torch.nn.functional as F

from unreid.data.batch_augment import normalize
from unreid.data.pk_sampler import PKSampler
from unreid.engine import onnx_inference
from unreid.engine.batch_stream import BatchStream
from unreid.engine.extract import autocast_context, extract_features
from unreid.engine.inference_engine import InferenceEngine, resolve_engine
from unreid.engine.train_epoch import EpochStep, train_one_epoch
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.memory.cluster_memory import ClusterMemory
from unreid.models.embedding_model import build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm

Step = Callable[[], Any]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_rates(steps: dict[str, tuple[Step, int]], *, args: argparse.Namespace, device: torch.device) -> dict[str, float]:
    """Images/s of each ``name: (step, images per step)``, interleaved over ``--rounds`` rounds, best round kept."""
    best = dict.fromkeys(steps, 0.0)
    for round_index in range(args.rounds):
        for name, (step, images) in steps.items():
            for _ in range(max(args.warmup, 1) if round_index == 0 else 0):  # the first call exports or compiles
                step()
            sync(device)
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            sync(device)
            best[name] = max(best[name], images * args.steps / (time.perf_counter() - start))
    return best


def network(args: argparse.Namespace, device: torch.device, *, bare: bool = False) -> torch.nn.Module:
    """unreid's embedding network with sub-batch BatchNorm (``bare``: the timm backbone alone), NCHW."""
    torch.manual_seed(0)
    if bare:
        return timm.create_model(args.backbone, num_classes=0).to(device)
    net = build_embedding_model(backbone=args.backbone, last_stride_one=args.last_stride == 1)
    if args.samples_per_bn > 0:
        use_ghost_batch_norm(net, samples_per_bn=args.samples_per_bn)
    return net.to(device)


def inference_steps(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None,
                    model: torch.nn.Module, pixels: torch.Tensor
                    ) -> tuple[dict[str, tuple[Step, int]], dict[str, torch.Tensor], torch.nn.Module]:
    """The inference variants of one eval-mode network on the uint8 batch ``pixels``, their outputs, and the
    channels-last copy of the network (the layout unreid trains and extracts in)."""
    eager = model.eval()
    layouts = {"torch_eager": (eager, torch.contiguous_format),
               "torch_channels_last": (copy.deepcopy(eager).to(memory_format=torch.channels_last), torch.channels_last)}
    if not args.no_compile:
        compiled = cast(torch.nn.Module, torch.compile(layouts["torch_channels_last"][0]))
        layouts["torch_compiled"] = (compiled, torch.channels_last)

    def torch_step(net: torch.nn.Module, layout: torch.memory_format) -> Step:
        @torch.no_grad()
        def step() -> torch.Tensor:
            with autocast_context(device, amp):
                return net(normalize(pixels).contiguous(memory_format=layout))  # [B, D]
        return step

    steps = {name: (torch_step(net, layout), pixels.shape[0]) for name, (net, layout) in layouts.items()}
    if device.type == "cpu" and resolve_engine("auto", device=device) is InferenceEngine.ONNXRUNTIME:
        session = onnx_inference.build_session(eager, example=pixels, threads=torch.get_num_threads())
        batch = pixels.numpy()
        steps["onnxruntime"] = (lambda: torch.from_numpy(session.run(None, {onnx_inference.INPUT_NAME: batch})[0]),
                                pixels.shape[0])
    outputs = {name: F.normalize(step().float(), dim=1) for name, (step, _) in steps.items()}
    return steps, outputs, layouts["torch_channels_last"][0]


def unreid_extract_step(args: argparse.Namespace, model: torch.nn.Module, pixels: torch.Tensor,
                        amp: torch.dtype | None) -> tuple[Step, int]:
    """One pass of unreid's extraction over ``--pass-batches`` batches like ``pixels`` in one call, as every
    epoch's pass runs (the session of the current weights is reused), and its number of images."""
    images = pixels.repeat(args.pass_batches, 1, 1, 1)  # [P * B, 3, H, W]
    return (lambda: extract_features(model, images, batch_size=args.infer_batch, amp_dtype=amp, channels_last=True,
                                     progress=False, engine=args.engine)), images.shape[0]


def export_seconds(model: torch.nn.Module, pixels: torch.Tensor, *, rounds: int) -> float:
    """Best time of the in-memory ONNX export + onnxruntime session that each pass of new weights pays."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        onnx_inference.build_session(model, example=pixels, threads=torch.get_num_threads())
        times.append(time.perf_counter() - start)
    return min(times)


def train_steps(args: argparse.Namespace, device: torch.device, amp: torch.dtype | None) -> dict[str, tuple[Step, int]]:
    """Forward + backward + Adam on random input for each torch layout, and unreid's real step."""
    steps: dict[str, tuple[Step, int]] = {}
    variants = [("torch_eager", torch.contiguous_format, False), ("torch_channels_last", torch.channels_last, False)]
    if not args.no_compile:
        variants.append(("torch_compiled", torch.channels_last, True))
    for name, layout, compiled in variants:
        net = network(args, device).to(memory_format=layout).train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-4, fused=True if device.type == "cuda" else None)
        run = torch.compile(net) if compiled else net
        x = torch.randn(args.batch, 3, args.height, args.width, device=device).contiguous(memory_format=layout)

        def step(run: Any = run, opt: torch.optim.Optimizer = opt, x: torch.Tensor = x) -> None:
            with autocast_context(device, amp):
                loss = run(x).float().pow(2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        steps[name] = (step, args.batch)
    kwargs, sampler = unreid_train_setup(args, device, amp)
    steps["unreid_train"] = (lambda: train_one_epoch(iterations=1, **kwargs), sampler.batch_size)
    return steps


def unreid_train_setup(args: argparse.Namespace, device: torch.device,
                       amp: torch.dtype | None) -> tuple[dict[str, Any], PKSampler]:
    """Keyword arguments of ``train_one_epoch`` for unreid's real step on a random uint8 bank (channels-last)."""
    n, clusters = args.bank, max(args.bank // 16, 2)
    model = network(args, device).to(memory_format=torch.channels_last)
    pixels = torch.randint(0, 256, (n, 3, args.height, args.width), dtype=torch.uint8, device=device)
    labels = torch.arange(n, device=device) % clusters
    memory = ClusterMemory(features=F.normalize(torch.randn(n, cast(Any, model).embedding_dim, device=device), dim=1),
                           labels=labels, num_clusters=clusters)
    opt = torch.optim.Adam(model.parameters(), lr=3.5e-4, fused=True if device.type == "cuda" else None)
    p = max(args.batch // 16, 1)
    sampler = PKSampler(labels.cpu().numpy(), num_identities=p, num_instances=args.batch // p)
    batches = BatchStream(pixels=pixels, labels=labels, instance_index=torch.arange(n, device=device), num_real=n,
                          sampler=sampler, device=device, generator=torch.Generator(device=device), channels_last=True)
    step = EpochStep(model=model, optimizer=opt, loss=BatchQueryLoss(MultiLevelContrastiveLoss()), amp_dtype=amp)
    kwargs = dict(step=step, memory=memory, batches=batches, progress=False)
    return kwargs, sampler


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, default=256, help="training batch")
    parser.add_argument("--infer-batch", type=int, default=1024, help="inference batch")
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="steps timed per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best counts")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before the first round (at least 1)")
    parser.add_argument("--bank", type=int, default=4096, help="images in the synthetic uint8 bank / memory")
    parser.add_argument("--pass-batches", type=int, default=8,
                        help="inference batches of one unreid extraction call (a pass; the engines run one batch)")
    parser.add_argument("--pass-images", type=int, default=8642,
                        help="images of one extraction pass, for the export's share (8642: market1501-dev train)")
    parser.add_argument("--engine", choices=[e.value for e in InferenceEngine], default="auto",
                        help="unreid's extraction engine")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--bare", action="store_true", help="also the bare timm backbone (channels-last), for scale")
    parser.add_argument("--out", default="benchmark_throughput.json")
    parser.add_argument("--backbone", default="resnet50", help="timm name, e.g. tf_efficientnet_lite0, mobilenetv2_100")
    parser.add_argument("--samples-per-bn", type=int, default=64, help="ghost BatchNorm group (0 = plain)")
    parser.add_argument("--last-stride", type=int, choices=[1, 2], default=1)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads of torch and onnxruntime (0 = torch's)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    amp = torch.bfloat16 if device.type == "cuda" else None
    torch.backends.cudnn.benchmark = True
    model = network(args, device)
    pixels = torch.randint(0, 256, (args.infer_batch, 3, args.height, args.width), dtype=torch.uint8, device=device)
    infer, outputs, unreid_model = inference_steps(args, device, amp, model, pixels)
    engines = list(infer)
    infer["unreid_extract"] = unreid_extract_step(args, unreid_model, pixels, amp)
    if args.bare:
        bare = network(args, device, bare=True).eval().to(memory_format=torch.channels_last)
        infer["bare_channels_last"] = (lambda: bare(normalize(pixels).contiguous(memory_format=torch.channels_last)),
                                       args.infer_batch)
    with torch.no_grad():
        rates = {f"infer_{k}": v for k, v in best_rates(infer, args=args, device=device).items()}
    export_s = export_seconds(model, pixels, rounds=args.rounds) if "onnxruntime" in engines else 0.0
    train = train_steps(args, device, amp)
    rates.update({f"train_{k}": v for k, v in best_rates(train, args=args, device=device).items()})
    fastest = max(engines, key=lambda name: rates[f"infer_{name}"])
    best_layout = max((k for k in rates if k.startswith("train_torch")), key=lambda k: rates[k])
    reference = outputs["torch_eager"]
    pass_s = args.pass_images / rates["infer_unreid_extract"]
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__, "backbone": args.backbone, "threads": torch.get_num_threads(),
        "batch": args.batch, "infer_batch": args.infer_batch, "size": [args.height, args.width], "amp": str(amp),
        "rounds": args.rounds, "steps": args.steps, "images_per_s": {k: round(v, 1) for k, v in rates.items()},
        "fastest_engine": fastest, "best_train_layout": best_layout.removeprefix("train_"),
        "ratio_extract": round(rates["infer_unreid_extract"] / rates[f"infer_{fastest}"], 3),
        "ratio_train": round(rates["train_unreid_train"] / rates[best_layout], 3),
        "max_abs_diff_to_eager": {k: float((v - reference).abs().max()) for k, v in outputs.items()},
        "export_s": round(export_s, 3), "export_share_of_pass": round(export_s / (export_s + pass_s), 3),
        "ratio_extract_with_export": round(args.pass_images / (export_s + pass_s) / rates[f"infer_{fastest}"], 3),
        "peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == "cuda" else None,
    }
    print(f"{'measure':<34}{'img/s':>10}")
    for key, value in rates.items():
        print(f"{key:<34}{value:>10.1f}")
    print(f"extract ratio to the fastest engine ({fastest}): {report['ratio_extract']:.2f}")
    print(f"train ratio to the best torch layout ({report['best_train_layout']}): {report['ratio_train']:.2f}")
    diffs = ", ".join(f"{k} {v:.1e}" for k, v in report["max_abs_diff_to_eager"].items() if k != "torch_eager")
    print(f"max abs difference to torch eager: {diffs}")
    if export_s:
        print(f"in-memory ONNX export + session: {export_s:.2f} s per pass of new weights = "
              f"{100 * report['export_share_of_pass']:.1f}% of a {args.pass_images}-image pass")
        print(f"extract ratio to the fastest engine with that export in each pass: "
              f"{report['ratio_extract_with_export']:.2f}")
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    np.random.seed(0)
    main()
