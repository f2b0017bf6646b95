"""``unreid report``: tables, paired differences, curves and model selection from run folders.

Each kind reads run folders through :mod:`unreid.report.run_folders` and prints Markdown lines
(the RESULTS.md layout); ``--append FILE`` adds them to a results file, ``--plot FILE`` draws a figure.
"""

from __future__ import annotations

import argparse
import datetime
import logging
from pathlib import Path

from unreid.io.output_guard import add_overwrite_argument, check_output_file

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand and its kinds to ``sub``."""
    parser = sub.add_parser("report", help="tables, paired differences, curves and model selection from run folders")
    kinds = parser.add_subparsers(dest="report_kind", required=True)

    table = kinds.add_parser("table", help="one RESULTS.md row per finished run (mAP, R1, R5, mINP, wall time)")
    table.add_argument("runs", nargs="+", type=Path, help="finished run folders (or their results.json)")
    _add_append(table, note=True)
    table.set_defaults(func=_table)

    summary = kinds.add_parser("summary", help="mean ± std per variant over seeds, from folders <variant>_s<seed>")
    summary.add_argument("out", type=Path, help="folder holding run folders <variant>_s<seed>")
    summary.add_argument("--partial", action="store_true", help="also unfinished runs, at their last evaluated epoch")
    _add_append(summary, note=True)
    summary.set_defaults(func=_summary)

    paired = kinds.add_parser("paired", help="final mAP/R1 differences to a baseline variant, paired by seed")
    paired.add_argument("out", type=Path, help="folder holding run folders <variant>_s<seed>")
    paired.add_argument("--baseline", required=True, help="variant name the others are compared with")
    _add_append(paired, note=False)
    paired.set_defaults(func=_paired)

    curves = kinds.add_parser("curves", help="mAP, clusters, pair precision and recall by epoch, mean and range "
                                             "over seeds")
    curves.add_argument("dirs", nargs="+", type=Path, help="folders holding run folders <variant>_s<seed>")
    curves.add_argument("--plot", type=Path, required=True, help="image file to draw into (.png)")
    curves.add_argument("--variants", nargs="*", default=None, help="which variants, in this order (default: all)")
    curves.add_argument("--people", type=int, default=None, help="true identity count, drawn on the cluster panel")
    curves.add_argument("--title", default="", help="figure title")
    add_overwrite_argument(curves)
    curves.set_defaults(func=_curves)

    selection = kinds.add_parser("selection", help="epoch kept by the label-free score against the best by labels")
    selection.add_argument("runs", nargs="+", type=Path, help="run folders evaluated every epoch")
    selection.add_argument("--plot", type=Path, default=None, help="also draw score and mAP by epoch into this file")
    add_overwrite_argument(selection)
    selection.set_defaults(func=_selection)


def _add_append(parser: argparse.ArgumentParser, *, note: bool) -> None:
    parser.add_argument("--append", type=Path, default=None, help="also append the rows to this Markdown file")
    if note:
        parser.add_argument("--note", default="", help="text for the note column / heading")


def _print_and_append(lines: list[str], append: Path | None, *, heading: str) -> None:
    print("\n".join(lines))
    if append is not None and len(lines) > 2:
        with open(append, "a", encoding="utf-8") as handle:
            handle.write(heading + "\n".join(lines) + "\n")


def _table(args: argparse.Namespace) -> int:
    from unreid.report.results_table import HEADER, table_rows

    rows = table_rows(args.runs, note=args.note)
    print(HEADER)
    print("\n".join(rows))
    if args.append is not None:
        with open(args.append, "a", encoding="utf-8") as handle:
            handle.write("\n".join(rows) + "\n")
    return 0


def _summary(args: argparse.Namespace) -> int:
    from unreid.report.variant_summary import summary_table

    lines = summary_table(args.out, partial=args.partial)
    heading = f"\n### Variants, {datetime.date.today().isoformat()}: {args.note}\n\n"
    _print_and_append(lines, args.append, heading=heading)
    return 0


def _paired(args: argparse.Namespace) -> int:
    from unreid.report.paired_differences import final_metrics, paired_table

    lines = paired_table(final_metrics(args.out), baseline=args.baseline)
    _print_and_append(lines, args.append, heading="\nPaired by seed (final epoch):\n\n")
    return 0


def _curves(args: argparse.Namespace) -> int:
    from unreid.report.run_folders import find_runs
    from unreid.report.variant_curves import plot_curves

    check_output_file(args.plot, flag="--plot", overwrite=args.overwrite)
    runs = {name: [run for run in items if (run.path / "metrics.jsonl").is_file()]
            for name, items in find_runs(args.dirs).items()}
    runs = {name: items for name, items in runs.items() if items}
    names = args.variants or sorted(runs)
    missing = [name for name in names if name not in runs]
    if missing or not names:
        raise ValueError(f"no run folders <variant>_s<seed> with metrics.jsonl for {missing or 'any variant'} in "
                         f"{', '.join(map(str, args.dirs))}; variants found: {', '.join(sorted(runs)) or 'none'}")
    plot_curves(runs, args.plot, variants=names, people=args.people, title=args.title)
    print(f"saved {args.plot}: {', '.join(f'{n} x{len(runs[n])}' for n in names)}")
    return 0


def _selection(args: argparse.Namespace) -> int:
    from unreid.report.model_selection import plot_selection, select, selection_table

    if args.plot is not None:
        check_output_file(args.plot, flag="--plot", overwrite=args.overwrite)
    selections = [select(run) for run in args.runs]
    print("\n".join(selection_table(selections)))
    if args.plot is not None:
        plot_selection(selections, args.plot)
        print(f"wrote {args.plot}")
    return 0
