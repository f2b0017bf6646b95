"""``unreid extract SOURCE --out feats.npy``: embeddings of a folder or a data set subset, with records."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from unreid.cli.model_arguments import add_model_arguments
from unreid.io.output_guard import add_overwrite_argument

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("extract", help="embeddings of a folder of crops (or a data set subset) to .npy/.safetensors")
    parser.add_argument("source", type=Path, help="folder of crops, one image, or a data set root with --subset")
    parser.add_argument("--out", type=Path, required=True, help="feats.npy or feats.safetensors (+ feats.records.json)")
    parser.add_argument("--subset", choices=["train", "query", "gallery"], default=None,
                        help="read this subset of a Market-1501-style root")
    parser.add_argument("--pattern", default=None, help=r"file-name regex with integer pid/cam groups, "
                        r"e.g. (?P<pid>\d+)_c(?P<cam>\d+)")
    parser.add_argument("--bad-files", choices=["error", "skip"], default="error",
                        help="unreadable images: refuse listing them all (error), or leave them out (skip)")
    add_model_arguments(parser)
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.model_arguments import load_embedder
    from unreid.cli.output_paths import check_writable, writing
    from unreid.io.output_guard import check_output_file
    from unreid.retrieval.feature_file import FEATURE_SUFFIXES, records_path, save_features
    from unreid.retrieval.image_records import records_of_source
    from unreid.retrieval.unreadable_images import embed_readable

    if args.out.suffix not in FEATURE_SUFFIXES:
        raise ValueError(f"--out {str(args.out)!r}: feature files end in {' or '.join(FEATURE_SUFFIXES)}; "
                         f"e.g. --out {args.out.with_suffix('.npy')}")
    inputs = [args.source, args.checkpoint, args.onnx]
    for flag, path in (("--out", args.out), ("--out (its records file)", records_path(args.out))):
        check_output_file(path, flag=flag, overwrite=args.overwrite, inputs=inputs,
                          ours=lambda p: records_path(args.out).is_file())  # a feature file with its records
    records = records_of_source(args.source, subset=args.subset, pattern=args.pattern)
    check_writable(args.out, what="--out")
    check_writable(records_path(args.out), what="--out (its records file)")
    embedder = load_embedder(args)
    start = time.perf_counter()
    features, records, _ = embed_readable(embedder.embed, records, bad_files=args.bad_files)  # [N, D]
    seconds = time.perf_counter() - start
    with writing(args.out, what="--out"):
        save_features(args.out, features=features, records=records, fingerprint=embedder.fingerprint)
    print(f"extracted {features.shape[0]} x {features.shape[1]} features in {seconds:.1f} s -> {args.out} "
          f"(records: {records_path(args.out)}, model {embedder.fingerprint})")
    return 0
