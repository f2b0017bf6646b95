"""``unreid train --config FILE --set key=value ...``"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, action="append", default=[], help="YAML config (repeatable)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set train.epochs=10 --set loss.inter=false")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train without labels, evaluate, write checkpoints and plots")
    add_config_arguments(parser)
    parser.add_argument("--resume", nargs="?", const="required", default="no", choices=["required", "auto"],
                        help="continue from OUTPUT_DIR/last.pth; refuses without it, unless given as "
                             "'--resume auto', which then starts fresh")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run already in OUTPUT_DIR (its checkpoints, metrics and plots)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--generated", type=Path, default=None, metavar="DIR",
                        help="train with the images rendered into DIR by `unreid generator render` "
                             "(same as --set generator.enabled=true --set generator.generated_dir=DIR)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.run_folder import ResumeMode
    from unreid.cli.train_run import run_training
    from unreid.config.loader import load_config

    generated = (["generator.enabled=true", f"generator.generated_dir={args.generated}"]
                 if args.generated is not None else [])
    config = load_config(files=args.config, overrides=args.overrides + generated)
    outcome = run_training(config, resume=ResumeMode(args.resume), overwrite=args.overwrite,
                           progress=not args.no_progress)
    if outcome.after:
        print(format_table(outcome.before, outcome.after))
    elif outcome.before:
        print(format_table(outcome.before, {}))
        print("no epoch trained (train.epochs=0): the untrained model only")
    else:
        print("trained without evaluation (the data set has no query/gallery images)")
    print(f"run folder: {outcome.run_dir}  wall time: {outcome.wall_time:.0f} s")
    return 0


def format_table(before: dict[str, float], after: dict[str, float]) -> str:
    keys = ["mAP", "R1", "R5", "R10", "mINP"]
    lines = ["| model | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for name, row in (("untrained", before), ("trained (unreid)", after)):
        if not row:
            continue
        lines.append(f"| {name} | " + " | ".join(f"{100 * row[k]:.1f}" for k in keys) + " |")
    return "\n".join(lines)
