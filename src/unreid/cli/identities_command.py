"""``unreid identities MODEL DIR --out OUT``: who is who in a folder of crops (``--into OUT`` adds new crops)."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from unreid.cli.model_arguments import add_model_arguments, model_file

logger = logging.getLogger(__name__)

MODEL_SUFFIXES = (".pth", ".pt", ".onnx")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("identities", help="assign every crop of a folder to an identity (who is who across cameras)")
    parser.add_argument("model", type=model_file,
                        help="model.pth written by `unreid train`, an .onnx export, or a ready model's name (market1501)")
    parser.add_argument("dir", type=Path, help="folder of person crops (searched recursively)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="new folder for identities.csv/.json, grids/, summary.json")
    target.add_argument("--into", "--update", dest="into", type=Path,
                        help="an earlier --out folder: add DIR's crops to its identities (nothing renumbered)")
    parser.add_argument("--overwrite", action="store_true", help="replace an identities result already in --out")
    parser.add_argument("--attach-similarity", type=float, default=None, metavar="S",
                        help="attach an unassigned crop to the nearest identity centroid at cosine >= S (default: off)")
    parser.add_argument("--join-threshold", type=float, default=None, metavar="T",
                        help="--into: cosine to a centroid at which a new crop joins that identity (default: the 5th "
                             "percentile of the members' similarity to their own centroid)")
    parser.add_argument("--center-cameras", action="store_true",
                        help="remove each camera's mean feature before clustering (needs cameras in the names)")
    parser.add_argument("--pattern", default=None,
                        help=r"file-name regex with groups cam/pid (default: data.folder_pattern, else no ids)")
    parser.add_argument("--no-grids", action="store_true", help="skip the grid image per identity")
    parser.add_argument("--bad-files", choices=["error", "skip"], default="error",
                        help="unreadable images: refuse listing them all (error), or leave them out (skip)")
    add_model_arguments(parser, required=False)  # --device, --batch-size and the like; MODEL replaces --checkpoint/--onnx
    parser.set_defaults(func=run)


def _check_model(path: Path) -> Path:
    path = path.expanduser()
    if not path.is_file():
        raise ValueError(f"MODEL {path}: no such file; give a model.pth written by `unreid train` or an .onnx export")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ValueError(f"MODEL {path}: expected a {', '.join(MODEL_SUFFIXES)} file; give a model.pth written by "
                         "`unreid train` or an .onnx export")
    return path


def _check_options(args: argparse.Namespace) -> None:
    for flag, value in (("--attach-similarity", args.attach_similarity), ("--join-threshold", args.join_threshold)):
        if value is not None and not -1.0 <= value <= 1.0:
            raise ValueError(f"{flag} {value}: a cosine similarity lies in [-1, 1]")
    if args.join_threshold is not None and args.out is not None:
        raise ValueError("--join-threshold applies to --into (adding crops to a result); drop it or use --into")
    if args.checkpoint is not None or args.onnx is not None:
        raise ValueError("give the model as MODEL (a .pth or .onnx file), not with --checkpoint/--onnx")


def _embed(args: argparse.Namespace, model: Path, crops: list[Any], *, expected: str | None = None
           ) -> tuple[np.ndarray, list[Any], str | None]:
    """Features of the readable crops, those crops, and the model fingerprint."""
    from unreid.cli.model_arguments import load_embedder
    from unreid.data.records import Record
    from unreid.retrieval.model_fingerprint import check_fingerprint
    from unreid.retrieval.unreadable_images import embed_readable

    onnx = model.suffix.lower() == ".onnx"
    embedder = load_embedder(argparse.Namespace(**{**vars(args), "checkpoint": None if onnx else model,
                                                   "onnx": model if onnx else None}))
    check_fingerprint(expected=expected, actual=embedder.fingerprint, what=f"--into {args.into}")
    by_path = {crop.path: crop for crop in crops}
    start = time.perf_counter()
    features, kept, _ = embed_readable(embedder.embed, [Record(c.path, -1, -1) for c in crops],
                                       bad_files=args.bad_files)  # [N, D]
    logger.info("embedded %d crops in %.1f s", features.shape[0], time.perf_counter() - start)
    return features.astype(np.float32), [by_path[r.path] for r in kept], embedder.fingerprint


def run(args: argparse.Namespace) -> int:
    from unreid.identities.crop_records import read_crops
    from unreid.identities.output_folder import check_new_out, check_not_an_input

    _check_options(args)
    crops = read_crops(args.dir, pattern=args.pattern)
    model = _check_model(args.model)
    check_not_an_input(args.out or args.into, crops=args.dir, model=model, flag="--out" if args.out else "--into")
    if args.into is not None:
        return _run_into(args, model, crops)
    out = check_new_out(args.out, overwrite=args.overwrite)
    from unreid.identities.assignment import assign_identities
    from unreid.identities.clustering_step import found_identities
    from unreid.identities.result_files import IdentityResult

    features, crops, fingerprint = _embed(args, model, crops)
    labels, eps = found_identities(features, cameras=_cameras(crops, center=args.center_cameras),
                                   center_cameras=args.center_cameras,
                                   tracks=np.array([-1 if c.track is None else c.track for c in crops], dtype=np.int64))
    assignment = assign_identities(features, labels, attach_similarity=args.attach_similarity)
    result = IdentityResult(crops=crops, identities=assignment.identities, similarities=assignment.similarities,
                            centroids=assignment.centroids, features=features, fingerprint=fingerprint)
    if args.overwrite:
        from unreid.identities.output_folder import clear_result

        clear_result(out)
    _write(args, out, result, changed=None, notes={"attached": assignment.attached, "eps": eps})
    return 0


def _cameras(crops: list[Any], *, center: bool) -> np.ndarray | None:
    """The crops' camera ids (the eps search counts clusters spanning them), or ``None`` when any is unknown."""
    if any(c.camera is None for c in crops):
        if center:
            logger.warning("--center-cameras: the crop names carry no camera; clustering without centring")
        return None
    return np.array([c.camera for c in crops], dtype=np.int64)


def _run_into(args: argparse.Namespace, model: Path, crops: list[Any]) -> int:
    from unreid.identities.incremental import add_crops
    from unreid.identities.result_files import load_result

    out = Path(args.into).expanduser()
    if args.overwrite:
        raise ValueError("--overwrite applies to --out; --into adds to a result and replaces none")
    result, meta = load_result(out)
    known = {crop.path for crop in result.crops}
    new = [crop for crop in crops if crop.path not in known]
    if not new:
        raise ValueError(f"every crop of {args.dir} is already in {out}; nothing to add")
    if len(new) < len(crops):
        logger.info("%d crop(s) of %s are already in %s and are left as they are", len(crops) - len(new), args.dir, out)
    features, new, _ = _embed(args, model, new, expected=result.fingerprint)
    merged, report = add_crops(result, new, features, threshold=args.join_threshold,
                               attach_similarity=args.attach_similarity, center_cameras=args.center_cameras,
                               eps=meta.get("settings", {}).get("eps"))
    _write(args, out, merged, changed=report.changed,
           notes={"eps": meta.get("settings", {}).get("eps"), "join_threshold": report.threshold,
                  "added": report.added, "joined": report.joined,
                  "new_identities": report.new_identities})
    print("\n".join(report.lines()))
    return 0


def _write(args: argparse.Namespace, out: Path, result: Any, *, changed: set[int] | None, notes: dict[str, Any]) -> None:
    from unreid.cli.output_paths import writing
    from unreid.identities.agreement import identity_agreement
    from unreid.identities.identity_grids import save_identity_grids
    from unreid.identities.result_files import GRIDS, SIZES_PLOT, SUMMARY, write_json, write_result_tables
    from unreid.identities.summary import identity_summary, save_size_histogram, summary_lines

    summary = identity_summary(result.crops, result.identities)
    known = np.array([c.person is not None for c in result.crops], dtype=bool)
    agreement = None
    if known.sum() >= 2:
        truth = np.array([c.person for c in result.crops if c.person is not None], dtype=np.int64)
        agreement = identity_agreement(result.identities[known], truth)
    settings = {"attach_similarity": args.attach_similarity, "center_cameras": args.center_cameras, **notes}
    with writing(out, what="--out" if args.out else "--into"):
        write_result_tables(out, result, extra={"settings": settings})
        write_json(out / SUMMARY, {"model_fingerprint": result.fingerprint, **summary, "settings": settings,
                                   "agreement": agreement.as_dict() if agreement else None})
        save_size_histogram(out / SIZES_PLOT, result.identities)
        if not args.no_grids:
            save_identity_grids(out / GRIDS, result.crops, result.identities, result.similarities, only=changed)
    lines = summary_lines(summary)
    if agreement is not None:
        lines += agreement.lines()
    print("\n".join(lines))
    print(f"wrote identities.csv, identities.json, summary.json, {SIZES_PLOT}"
          f"{'' if args.no_grids else ', grids/'} to {out}")
