"""The one rule every writing command follows: an output never destroys what it did not make.

An output path must not be an input of the same command, the home folder or a file
system root; without ``--overwrite`` it must not replace a finished run (a folder with
``model.pth`` or ``results.json``), a gallery index (``index.faiss`` / ``meta.json``) or
any existing file that the command cannot recognise as its own earlier output. Commands
call :func:`check_output_file` or :func:`check_output_folder` first thing, before any
model is loaded, so a refusal costs nothing and names the path and the flag.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

RUN_MARKERS = ("model.pth", "results.json")
"""Files that make a folder a finished run."""

INDEX_MARKERS = ("index.faiss", "meta.json")
"""Files that make a folder a gallery index."""

OVERWRITE_HELP = "replace an existing output (never an input, a file system root or the home folder)"


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite`` with the help text shared by every writing command."""
    parser.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)


def _resolved(path: Path) -> Path:
    return Path(path).expanduser().resolve()


def _exists_as(path: Path, *, folder: bool) -> bool:
    """``path.is_dir()`` / ``path.is_file()``, False where ``stat`` fails (a name too long): nothing is
    there to destroy, and the writability check that follows names the problem in one line."""
    try:
        return path.is_dir() if folder else path.is_file()
    except OSError:
        return False


def holds_finished_run(folder: Path) -> list[str]:
    """The :data:`RUN_MARKERS` present in ``folder`` (empty: not a finished run)."""
    return [name for name in RUN_MARKERS if (Path(folder) / name).is_file()]


def holds_index(folder: Path) -> list[str]:
    """The :data:`INDEX_MARKERS` present in ``folder`` (empty: not an index)."""
    return [name for name in INDEX_MARKERS if (Path(folder) / name).is_file()]


def refuse_protected_folder(folder: Path, *, flag: str) -> None:
    """Refuse a file system root or the home folder itself as an output folder (even with ``--overwrite``).

    Raises:
        ValueError: naming ``flag`` and the folder.
    """
    target = _resolved(folder)
    if target == Path(target.anchor):
        raise ValueError(f"{flag} {str(folder)!r} is a file system root; give a folder of its own, "
                         f"e.g. {flag} runs/my-run")
    if target == _resolved(Path.home()):
        raise ValueError(f"{flag} {str(folder)!r} is the home folder itself; give a folder of its own, "
                         f"e.g. {flag} ~/runs/my-run")


def _refuse_inputs(path: Path, *, flag: str, inputs: Iterable[Path]) -> None:
    target = _resolved(path)
    for source in inputs:
        if source is not None and _resolved(source) == target:
            raise ValueError(f"{flag} {str(path)!r} is also an input of this command; writing it would destroy "
                             "the input: choose another path")


def _kind_of_folder(folder: Path) -> str:
    run, index = holds_finished_run(folder), holds_index(folder)
    if run:
        return f" (part of the finished run in {folder}: {', '.join(run)})"
    if index:
        return f" (part of the gallery index in {folder})"
    return ""


def check_output_file(
    path: Path, *, flag: str, overwrite: bool, inputs: Iterable[Path] = (),
    ours: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse to write file ``path`` where it would destroy something (see the module docstring).

    Args:
        path: the file the command will write.
        flag: how the user named it (``"--out"``), for the message.
        overwrite: ``--overwrite`` was given: an existing file may be replaced.
        inputs: the command's input files; ``path`` is never one of them.
        ours: recognises an existing file as this command's own earlier output (replaced
            without ``--overwrite``, unless it lies in a finished run or an index).

    Raises:
        ValueError: naming ``flag``, the path and the way out.
    """
    path = Path(path).expanduser()
    _refuse_inputs(path, flag=flag, inputs=inputs)
    if overwrite or not _exists_as(path, folder=False):
        return path
    inside = _kind_of_folder(path.parent)
    if ours is not None and not inside and ours(path):
        return path
    raise ValueError(f"{flag} {str(path)!r} already exists{inside} and this command did not write it; "
                     f"choose another path, or give --overwrite to replace it")


def check_output_folder(
    folder: Path, *, flag: str, overwrite: bool, writes: Iterable[str], inputs: Iterable[Path] = (),
) -> Path:
    """Refuse to write the files ``writes`` into ``folder`` where that would destroy something.

    A file system root, the home folder and an input are always refused; a finished run,
    an existing gallery index or any existing file among ``writes`` only without
    ``--overwrite``.

    Raises:
        ValueError: naming ``flag``, the folder and the way out.
    """
    folder = Path(folder).expanduser()
    refuse_protected_folder(folder, flag=flag)
    _refuse_inputs(folder, flag=flag, inputs=inputs)
    if overwrite or not _exists_as(folder, folder=True):
        return folder
    run = holds_finished_run(folder)
    if run:
        raise ValueError(f"{flag} {str(folder)!r} holds a finished run ({', '.join(run)}); choose another folder, "
                         "or give --overwrite to write into it")
    index = holds_index(folder)
    existing = [name for name in writes if (folder / name).is_file()]
    if index or existing:
        what = "a gallery index" if index else "files this command would replace"
        raise ValueError(f"{flag} {str(folder)!r} already holds {what} ({', '.join(index or existing)}); "
                         "choose another folder, or give --overwrite to replace it")
    return folder
