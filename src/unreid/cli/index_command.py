"""``unreid index build SOURCE --out INDEX``: a searchable gallery index with the model fingerprint."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from unreid.cli.model_arguments import add_model_arguments
from unreid.io.output_guard import add_overwrite_argument

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("index", help="build a gallery index for `unreid search` / `unreid serve`")
    actions = parser.add_subparsers(dest="index_action", required=True)
    build = actions.add_parser("build", help="index a feature file, or a folder of crops with a model")
    build.add_argument("source", type=Path,
                       help="feats.npy/.safetensors from `unreid extract`, or a folder of crops (needs --checkpoint/--onnx)")
    build.add_argument("--out", type=Path, required=True, help="index folder to write")
    build.add_argument("--kind", default="auto", choices=["auto", "exact", "ivf", "hnsw", "torch"],
                       help="auto: exact while entries x dim <= 2^24 (8,192 x 2048), IVF above")
    build.add_argument("--subset", choices=["train", "query", "gallery"], default=None,
                       help="with a data set root: index this subset")
    build.add_argument("--pattern", default=None, help="file-name regex with integer pid/cam groups")
    build.add_argument("--nprobe", type=int, default=32, help="IVF lists searched per query")
    build.add_argument("--ef-search", type=int, default=128, help="HNSW search breadth")
    build.add_argument("--bad-files", choices=["error", "skip"], default="error",
                       help="unreadable images: refuse listing them all (error), or leave them out (skip)")
    add_model_arguments(build, required=False)
    add_overwrite_argument(build)
    build.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    from unreid.cli.output_paths import check_writable, writing
    from unreid.io.output_guard import check_output_folder
    from unreid.retrieval.feature_file import FEATURE_SUFFIXES, load_features
    from unreid.retrieval.gallery_index import GalleryIndex, IndexOptions
    from unreid.retrieval.image_records import records_of_source
    from unreid.retrieval.index_store import save_index

    check_output_folder(args.out, flag="--out", overwrite=args.overwrite, inputs=[args.source],
                        writes=("features.npy", "records.json", "index.faiss", "meta.json"))
    check_writable(args.out, what="--out", folder=True)
    if args.source.suffix in FEATURE_SUFFIXES:
        if args.checkpoint or args.onnx:
            raise ValueError(f"{args.source} already holds features; drop --checkpoint/--onnx")
        loaded = load_features(args.source)
        features, records, fingerprint = loaded.features, loaded.records, loaded.fingerprint
    else:
        if not (args.checkpoint or args.onnx):
            raise ValueError(f"{args.source} is not a feature file: give --checkpoint or --onnx to embed its images, "
                             "or run `unreid extract` first")
        from unreid.cli.model_arguments import load_embedder
        from unreid.retrieval.unreadable_images import embed_readable

        records = records_of_source(args.source, subset=args.subset, pattern=args.pattern)
        embedder = load_embedder(args)
        features, records, _ = embed_readable(embedder.embed, records, bad_files=args.bad_files)
        fingerprint = embedder.fingerprint
    start = time.perf_counter()
    index = GalleryIndex(features, records=records, kind=args.kind, fingerprint=fingerprint,
                         options=IndexOptions(nprobe=args.nprobe, ef_search=args.ef_search))
    seconds = time.perf_counter() - start
    with writing(args.out, what="--out"):
        save_index(index, args.out)
    print(f"indexed {len(index)} x {index.dim} gallery features ({index.kind.value}, {seconds:.1f} s) -> {args.out} "
          f"(model {fingerprint})")
    return 0
