"""``--help`` that shows every option's default, and the parser class that carries it to every sub-command.

argparse's ``ArgumentDefaultsHelpFormatter`` also prints ``(default: None)`` and ``(default: False)`` for
options that have no default worth reading, and repeats a default a help string already states; this
formatter adds ``(default: X)`` only where ``X`` says something and the help does not mention a default.
Sub-command parsers are built as ``type(parent)``, so one parser class reaches every level.
"""

from __future__ import annotations

import argparse
from typing import Any


class DefaultsHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends ``(default: X)`` to an option's help when its default is set and the help does not name one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or "default" in text.lower() or default is None or default is False
                or default is argparse.SUPPRESS or default == "" or default == []):
            return action.help
        return f"{text} (default: %(default)s)"


class UnreidParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose help (and its sub-commands' help) shows the defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
