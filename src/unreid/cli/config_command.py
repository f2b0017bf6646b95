"""``unreid config options|show``: every option with its type, default and help; the resolved configuration.

``options`` prints the one definition of each option (:mod:`unreid.config.schema`), so
the help here, the validator and the loader cannot disagree; ``show`` prints what a
``--config`` / ``--set`` combination resolves to, without running anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from enum import Enum
from typing import Any

import yaml

from unreid.cli.train_command import add_config_arguments


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("config", help="list every option, or show a resolved configuration")
    actions = parser.add_subparsers(dest="config_command", required=True)
    options = actions.add_parser("options", help="every option: key, type, default, allowed values, help")
    options.add_argument("section", nargs="?", default="", help="only this section (data, model, cluster, ...)")
    options.set_defaults(func=run_options)
    show = actions.add_parser("show", help="the configuration that --config/--set resolve to, as YAML")
    add_config_arguments(show)
    show.set_defaults(func=run_show)


def option_rows(section: Any = None, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """``(key, type, default, help)`` of every option under ``section`` (default: the whole tree)."""
    from unreid.config.option import option_info
    from unreid.config.schema import RunConfig

    section = RunConfig() if section is None else section
    hints = typing.get_type_hints(type(section))
    rows = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if dataclasses.is_dataclass(value):
            rows += option_rows(value, prefix=f"{prefix}{f.name}.")
            continue
        kind = hints[f.name]
        info = option_info(f)
        allowed = ""
        if isinstance(kind, type) and issubclass(kind, Enum):
            allowed = " | ".join(str(m.value) for m in kind)
            type_name = "choice"
        else:
            type_name = kind.__name__ if isinstance(kind, type) else str(kind)
        if info is not None and info.range is not None:
            allowed = info.range.describe(integer=kind is int)
        shown = value.value if isinstance(value, Enum) else value
        text = info.help if info is not None else ""
        rows.append((f"{prefix}{f.name}", type_name + (f" ({allowed})" if allowed else ""), repr(shown), text))
    return rows


def run_options(args: argparse.Namespace) -> int:
    from unreid.config.schema import RunConfig

    rows = [r for r in option_rows() if not args.section or r[0].startswith(f"{args.section}.")]
    if not rows:
        sections = ", ".join(f.name for f in dataclasses.fields(RunConfig))
        raise ValueError(f"no section {args.section!r}; sections: {sections}")
    width = max(len(r[0]) for r in rows)
    for key, kind, default, text in rows:
        print(f"{key:<{width}}  {default:<14} {kind}\n{'':<{width}}  {text}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from unreid.config.loader import config_to_dict, load_config

    config = load_config(files=args.config, overrides=args.overrides)
    print(yaml.safe_dump(config_to_dict(config), sort_keys=False), end="")
    return 0
