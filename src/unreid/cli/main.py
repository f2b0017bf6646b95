"""The ``unreid`` command line: ``demo``, ``train``, ``evaluate``, ``config``, ``weights``, ``generator``,
``cluster-lab``, ``extract``, ``index``, ``search``, ``export``, ``serve``, ``identities``, ``report``."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from unreid import __version__
from unreid.cli import (
    cluster_lab_command,
    config_command,
    demo_command,
    evaluate_command,
    export_command,
    extract_command,
    generator_command,
    identities_command,
    index_command,
    report_command,
    search_command,
    serve_command,
    train_command,
    weights_command,
)
from unreid.cli.help_format import UnreidParser


def build_parser() -> argparse.ArgumentParser:
    parser = UnreidParser(
        prog="unreid", description="Unsupervised person re-identification with multi-level contrastive learning."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (demo_command, train_command, evaluate_command, config_command, weights_command, generator_command,
                    cluster_lab_command, extract_command, index_command, search_command, export_command,
                    serve_command, identities_command, report_command):
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    from unreid.cli.run_failures import RunStopped

    try:
        return int(args.func(args) or 0)
    except ValueError as error:  # bad input: a clear message, no traceback from deep inside
        logging.getLogger("unreid").error("%s", error)
        if args.verbose:
            raise
        return 2
    except RunStopped as error:  # a run stopped early: one line saying what was kept and how to go on
        logging.getLogger("unreid").error("%s", error)
        if args.verbose:
            raise
        return 130 if str(error).startswith("interrupted") else 3
    except KeyboardInterrupt:  # outside a run (decoding arguments, evaluate): nothing to keep
        logging.getLogger("unreid").error("interrupted")
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        return 141


if __name__ == "__main__":
    sys.exit(main())
