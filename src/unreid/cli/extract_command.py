"""``unreid extract SOURCE --out feats.npy``: embeddings of a folder or a data set subset, with records."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from unreid.cli.model_arguments import add_model_arguments

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("extract", help="embeddings of a folder of crops (or a data set subset) to .npy/.safetensors")
    parser.add_argument("source", type=Path, help="folder of crops, one image, or a data set root with --subset")
    parser.add_argument("--out", type=Path, required=True, help="feats.npy or feats.safetensors (+ feats.records.json)")
    parser.add_argument("--subset", choices=["train", "query", "gallery"], default=None,
                        help="read this subset of a Market-1501-style root")
    parser.add_argument("--pattern", default=None, help=r"file-name regex with integer pid/cam groups, e.g. (?P<pid>\d+)_c(?P<cam>\d+)")
    add_model_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.model_arguments import load_embedder
    from unreid.retrieval.feature_file import records_path, save_features
    from unreid.retrieval.image_records import records_of_source

    records = records_of_source(args.source, subset=args.subset, pattern=args.pattern)
    embedder = load_embedder(args)
    start = time.perf_counter()
    features = embedder.embed([r.path for r in records])  # [N, D]
    seconds = time.perf_counter() - start
    save_features(args.out, features=features, records=records, fingerprint=embedder.fingerprint)
    print(f"extracted {features.shape[0]} x {features.shape[1]} features in {seconds:.1f} s -> {args.out} "
          f"(records: {records_path(args.out)}, model {embedder.fingerprint})")
    return 0
