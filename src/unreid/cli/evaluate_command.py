"""``unreid evaluate CHECKPOINT``: Market-1501-protocol metrics of a trained model.

Evaluation needs only ``query/`` and ``bounding_box_test/``: a Market-1501-style root
without ``bounding_box_train/`` (a test set shipped on its own) is read as such.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from unreid.cli.model_arguments import model_file
from unreid.cli.train_command import add_config_arguments
from unreid.data.records import ReIDSplit
from unreid.io.output_guard import add_overwrite_argument

if TYPE_CHECKING:
    from unreid.config.schema import RunConfig


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("evaluate", help="mAP / CMC / mINP of a checkpoint on a data set's query and gallery")
    parser.add_argument("checkpoint", type=model_file,
                        help="model.pth or last.pth of a run, or a ready model's name (market1501)")
    add_config_arguments(parser)
    parser.add_argument("--rerank", action="store_true", help="k-reciprocal re-ranking")
    parser.add_argument("--grid", type=Path, default=None, help="write a ranked-list image grid here (.png/.jpg)")
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.evaluation_report import check_ground_truth, evaluation_summary
    from unreid.config.loader import load_config
    from unreid.data.image_bank import ImageBank
    from unreid.engine.checkpoint import load_checkpoint
    from unreid.engine.cpu_threads import configure_threads
    from unreid.engine.evaluate import EvaluationImages, EvaluationOptions, evaluate_model
    from unreid.engine.precision import resolve_amp, resolve_device
    from unreid.engine.run_log import to_json
    from unreid.evaluation import save_ranked_list_grid
    from unreid.models.model_spec import ModelSpec

    if args.grid is not None:
        from unreid.cli.output_paths import check_writable
        from unreid.io.output_guard import check_output_file

        if args.grid.suffix.lower() not in GRID_SUFFIXES:
            raise ValueError(f"--grid {str(args.grid)!r}: a grid is an image ({', '.join(GRID_SUFFIXES)}); "
                             f"e.g. --grid {args.grid.with_suffix('.png')}")
        check_output_file(args.grid, flag="--grid", overwrite=args.overwrite, inputs=[args.checkpoint, *args.config])
        check_writable(args.grid, what="--grid")
    state = load_checkpoint(args.checkpoint)
    spec = ModelSpec.from_dict(state.get("model_spec"), source=args.checkpoint)
    run_config = args.checkpoint.parent / "config.yaml"
    files = ([run_config] if run_config.is_file() and not args.config else []) + args.config
    config = load_config(files=files, overrides=args.overrides)
    device = resolve_device(config.train.device)
    configure_threads(config.train.threads)  # torch, onnxruntime (eval.engine) and faiss share the cores
    height, width = spec.height, spec.width
    model = spec.build()
    model.load_state_dict(state["model"])
    model = model.to(device)
    split = load_eval_split(config)
    check_ground_truth(split, checkpoint=args.checkpoint, root=config.data.root)
    query = ImageBank(split.query, height=height, width=width, device=device)
    gallery = ImageBank(split.gallery, height=height, width=width, device=device)
    options = EvaluationOptions(rerank=args.rerank or config.eval.rerank, amp_dtype=resolve_amp(config.train.amp, device),
                                batch_size=config.eval.batch_size, engine=config.eval.engine)
    out = evaluate_model(model, EvaluationImages(query.pixels, split.query),
                         EvaluationImages(gallery.pixels, split.gallery), options)
    metrics = out.result.as_dict()
    if args.grid:
        save_ranked_list_grid(path=args.grid, query_records=split.query, gallery_records=split.gallery,
                              distances=out.distances)
    counts = {"queries_evaluated": out.result.num_valid_queries,
              "queries_skipped": len(split.query) - out.result.num_valid_queries}  # skipped: no match in the gallery
    print(to_json({**evaluation_summary(metrics, num_valid_queries=out.result.num_valid_queries), **counts}))
    return 0


GRID_SUFFIXES = (".png", ".jpg", ".jpeg")
"""Image files ``--grid`` may write."""


def load_query_gallery(root: Path) -> ReIDSplit:
    """Query and gallery of a Market-1501-style root that has no training folder (junk dropped)."""
    from unreid.data.market1501 import JUNK_PERSON, SUBSET_FOLDERS, image_files, parse_market_name
    from unreid.data.records import Record

    subsets: dict[str, list[Record]] = {}
    for subset in ("query", "gallery"):
        folder = root / SUBSET_FOLDERS[subset]
        paths = image_files(folder) if folder.is_dir() else []
        if not paths:
            raise ValueError(f"{folder}: missing or without *.jpg/*.png crops; evaluation needs {root}/query/ and "
                             f"{root}/bounding_box_test/ with PPPP_cCsS_FFFFFF_BB.jpg files")
        records = [Record(p, *parse_market_name(p)) for p in paths]
        subsets[subset] = [r for r in records if r.person_id != JUNK_PERSON]
    return ReIDSplit("market1501", [], subsets["query"], subsets["gallery"], root=root,
                     notes={"subsets": "query and gallery only"})


def load_eval_split(config: RunConfig) -> ReIDSplit:
    """The configured data set; a Market-1501-layout root without ``bounding_box_train/`` gives query and gallery only."""
    from unreid.cli.dataset_loading import load_split

    root = Path(config.data.root).expanduser()
    market_layout = config.data.dataset in ("market1501", "synthetic")  # the synthetic set is written in that layout
    if market_layout and (root / "query").is_dir() and not (root / "bounding_box_train").exists():
        return load_query_gallery(root)
    return load_split(config.data)
