"""``unreid demo``: the synthetic data set, trained and evaluated on the CPU in minutes."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from unreid.cli.train_command import add_config_arguments, format_table
from unreid.io.output_guard import add_overwrite_argument

DEMO_CONFIG = "synthetic_cpu.yaml"

DEMO_MARKER = ".unreid-demo"
"""Written into a finished demo report: the next ``unreid demo`` may redraw that folder without ``--overwrite``."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="build the synthetic set, train, evaluate, write a report folder")
    add_config_arguments(parser)
    parser.add_argument("--out", type=Path, default=Path("unreid-demo"), help="report folder (default ./unreid-demo)")
    parser.add_argument("--no-progress", action="store_true")
    add_overwrite_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from unreid.cli.train_run import run_training
    from unreid.config.loader import load_config

    with resources.as_file(resources.files("unreid.configs") / DEMO_CONFIG) as demo_yaml:
        config = load_config(files=[demo_yaml, *args.config], overrides=[f"output_dir={args.out}", *args.overrides])
    own_report = (args.out / DEMO_MARKER).is_file()  # a demo report of ours is redrawn
    outcome = run_training(config, overwrite=args.overwrite or own_report, progress=not args.no_progress)
    (outcome.run_dir / DEMO_MARKER).write_text("written by `unreid demo`\n", encoding="utf-8")
    print("\nunreid demo: synthetic pedestrians, untrained vs trained")
    print(format_table(outcome.before, outcome.after))
    print(f"wall time {outcome.wall_time:.0f} s; report in {outcome.run_dir}/ "
          "(training_curves.png, ranked_lists_*.png, generated_examples.png, metrics.jsonl, results.json)")
    return 0
