"""``unreid --version`` and ``--help`` showing each option's default."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from unreid import __version__
from unreid.cli.main import build_parser, main


def _parsers(parser: argparse.ArgumentParser, name: str = "unreid") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"unreid {__version__}"


@pytest.mark.parametrize(("command", "shown"), [
    (["search"], ["matches per query (default: 10)", "images per forward pass (default: 64)"]),
    (["serve"], ["port (0 = any free port) (default: 8000)", "address to bind (default: this machine only)"]),
    (["index", "build"], ["IVF lists searched per query (default: 32)"]),
])
def test_help_shows_defaults(command: list[str], shown: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for piece in shown:
        assert piece in text


def test_every_option_with_a_default_names_it_and_none_shows_an_empty_one() -> None:
    checked = 0
    for name, parser in _parsers(build_parser()):
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.option_strings or action.help is None or argparse.SUPPRESS in (action.help, action.default):
                continue
            text = formatter._expand_help(action)
            if action.default is None or action.default is False or action.default in ("", []):
                assert "(default: " not in text or "(default: " in (action.help or ""), (name, action.dest)
            else:
                assert "default" in text.lower(), (name, action.dest, text)
                checked += 1
    assert checked > 30
