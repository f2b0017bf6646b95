"""``unreid search INDEX QUERY...``: top-k gallery matches of query crops, as JSON and an image grid."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from unreid.cli.model_arguments import add_model_arguments
from unreid.io.output_guard import add_overwrite_argument

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("search", help="top-k gallery matches of query crops (JSON and image grid)")
    parser.add_argument("index", type=Path, help="index folder from `unreid index build`")
    parser.add_argument("queries", type=Path, nargs="+", help="query images or folders of them")
    parser.add_argument("--top-k", type=int, default=10, help="matches per query")
    parser.add_argument("--json", type=Path, default=None, help="write results here (default: print them)")
    parser.add_argument("--grid", type=Path, default=None, help="write an image grid of the results here (.png)")
    parser.add_argument("--grid-queries", type=int, default=8, help="rows of the grid (the first queries)")
    parser.add_argument("--pattern", default=None, help="file-name regex with integer pid/cam groups")
    add_model_arguments(parser)
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.model_arguments import load_embedder
    from unreid.cli.output_paths import check_writable, writing
    from unreid.io.output_guard import check_output_file
    from unreid.retrieval.image_records import records_of_source
    from unreid.retrieval.index_store import load_index
    from unreid.retrieval.model_fingerprint import check_fingerprint
    from unreid.retrieval.search_grid import save_search_grid
    from unreid.retrieval.search_results import results_as_json, search_index

    if args.top_k < 1:
        raise ValueError(f"--top-k {args.top_k} must be >= 1 (the number of matches per query)")
    inputs = [args.checkpoint, args.onnx, *args.queries, args.index]
    for flag, path in (("--json", args.json), ("--grid", args.grid)):
        if path is not None:
            check_output_file(path, flag=flag, overwrite=args.overwrite, inputs=inputs)
            check_writable(path, what=flag)
    index = load_index(args.index)
    queries = [r for source in args.queries for r in records_of_source(source, pattern=args.pattern)]
    embedder = load_embedder(args)
    check_fingerprint(expected=index.fingerprint, actual=embedder.fingerprint, what=f"gallery index {args.index}")
    hits = search_index(index, embedder.embed([q.path for q in queries]), top_k=args.top_k,
                        fingerprint=embedder.fingerprint, index_name=str(args.index))
    results = results_as_json(queries, hits)
    if args.json:
        with writing(args.json, what="--json"):
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        print(f"searched {len(queries)} queries in {len(index)} gallery images -> {args.json}")
    else:
        print(json.dumps(results, indent=1))
    if args.grid:
        rows = max(1, args.grid_queries)
        with writing(args.grid, what="--grid"):
            save_search_grid(path=args.grid, queries=queries[:rows],
                             hits=[[(h.record, h.score) for h in row] for row in hits[:rows]])
        print(f"grid of {min(rows, len(queries))} queries -> {args.grid}")
    return 0
