"""Mean ± std per named variant over seeds, from the run folders of ``scripts/gpu_experiments.sh``.

usage: python scripts/variant_summary.py OUT [--append RESULTS.md] [--note TEXT]

OUT holds one folder per run named ``<variant>_s<seed>``, each with ``metrics.jsonl``
(and ``results.json`` once finished; ``--partial`` also counts unfinished runs, e.g. one stopped
by a GPU window's deadline, at their last evaluated epoch). For each variant it prints the final mAP and R1,
the best epoch's mAP, the drop from best to final, the final cluster count and the
pseudo-label precision/recall: everything issue 7's targets are judged by.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path


def read_rows(run: Path) -> list[dict]:
    path = run / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def summarise(out: Path, *, partial: bool = False) -> list[str]:
    runs: dict[str, list[dict[str, float]]] = defaultdict(list)
    for run in sorted(p for p in out.iterdir() if p.is_dir()):
        match = re.fullmatch(r"(.+)_s(\d+)", run.name)
        if not match or not (partial or (run / "results.json").is_file()):
            continue
        rows = read_rows(run)
        evaluated = [r for r in rows if "mAP" in r]
        if not evaluated:
            continue
        final, best = evaluated[-1], max(evaluated, key=lambda r: r["mAP"])
        runs[match.group(1)].append({
            "mAP": 100 * final["mAP"], "R1": 100 * final["R1"], "best": 100 * best["mAP"],
            "drop": 100 * (best["mAP"] - final["mAP"]), "clusters": final["clusters"],
            "precision": final.get("pl_precision", float("nan")), "recall": final.get("pl_recall", float("nan")),
            "epochs": len(rows),
        })

    def fmt(values: list[float], digits: int = 1) -> str:
        mean = statistics.fmean(values)
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{mean:.{digits}f} ± {std:.{digits}f}"

    lines = ["| variant | seeds | epochs | mAP | R1 | best-epoch mAP | best - final | clusters | precision | recall |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, items in runs.items():
        col = {k: [i[k] for i in items] for k in items[0]}
        lines.append(
            f"| {name} | {len(items)} | {int(col['epochs'][0])} | {fmt(col['mAP'])} | {fmt(col['R1'])} | {fmt(col['best'])} "
            f"| {fmt(col['drop'])} | {fmt(col['clusters'], 0)} | {fmt(col['precision'], 2)} | {fmt(col['recall'], 2)} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--append", type=Path, default=None)
    parser.add_argument("--note", default="")
    parser.add_argument("--partial", action="store_true", help="also unfinished runs, at their last evaluated epoch")
    args = parser.parse_args()
    lines = summarise(args.out, partial=args.partial)
    print("\n".join(lines))
    if args.append and len(lines) > 2:
        with open(args.append, "a", encoding="utf-8") as handle:
            handle.write(f"\n### Variants, {datetime.date.today().isoformat()}: {args.note}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
