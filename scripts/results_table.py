"""Print a table of run results (``results.json`` files) and optionally append them to RESULTS.md.

usage: python scripts/results_table.py RUN/results.json ... [--append RESULTS.md] [--note TEXT]
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path


def describe(config: dict) -> str:
    loss = config["loss"]
    levels = "+".join(name for name in ("centroid", "intra", "inter") if loss[name]) or "none"
    g = config["generator"]
    kind = g.get("kind", "color") if g["enabled"] else "none"
    gen = f"gen-{kind}" + (f"({Path(g['generated_dir']).name})" if g.get("generated_dir") and kind != "none" else "")
    return (f"{config['model']['backbone']} {config['data']['height']}x{config['data']['width']} "
            f"{levels} {gen} ep{config['train']['epochs']}x{config['train']['iterations']} "
            f"seed{config['train']['seed']} eps{config['cluster']['eps']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--append", type=Path, default=None)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    today = datetime.date.today().isoformat()
    lines = []
    for path in args.results:
        res = json.loads(path.read_text())
        m = res["after"]
        lines.append(
            f"| {today} | {path.parent.name} | {res.get('device_name', res['device'])} | {res['config']['data']['dataset']} "
            f"| {describe(res['config'])} | {100 * m['mAP']:.1f} | {100 * m['R1']:.1f} | {100 * m['R5']:.1f} "
            f"| {100 * m['mINP']:.1f} | {res['wall_time_s']:.0f} s | {args.note} |"
        )
    header = ("| date | run | device | data | config | mAP | R1 | R5 | mINP | wall | note |\n"
              "|---|---|---|---|---|---:|---:|---:|---:|---:|---|")
    print(header)
    print("\n".join(lines))
    if args.append:
        with open(args.append, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
