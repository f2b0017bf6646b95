"""The output folder of ``unreid identities``: checked before any image is embedded.

``--out`` must not be an input (the crop folder or the model), nor lie inside the crop
folder (its grids would be read as crops next time). A folder that already holds files
is refused without ``--overwrite``, like a run folder (:mod:`unreid.cli.run_folder`);
``--overwrite`` deletes only the files an identities result consists of
(:data:`~unreid.identities.result_files.RESULT_FILES` and ``grids/identity_*.jpg``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from unreid.cli.output_paths import check_writable
from unreid.identities.result_files import GRIDS, RESULT_FILES

logger = logging.getLogger(__name__)


def check_not_an_input(out: Path, *, crops: Path, model: Path, flag: str) -> None:
    """Refuse an output folder that is the crop folder, lies inside it, or is the model file."""
    out, crops, model = (Path(p).expanduser().resolve() for p in (out, crops, model))
    if out == model:
        raise ValueError(f"{flag} {out} is the model file; choose a new folder for the identities")
    if out == crops or out.is_relative_to(crops):
        raise ValueError(f"{flag} {out} is (inside) the crop folder {crops}: its grids would be read as crops; "
                         "choose a folder outside it")


def result_paths(out: Path) -> list[Path]:
    """The files of an identities result present in ``out``."""
    found = [out / name for name in RESULT_FILES if (out / name).exists()]
    return found + sorted((out / GRIDS).glob("identity_*.jpg"))


def check_new_out(out: Path, *, overwrite: bool) -> Path:
    """``out`` made ready for a new result: it must be new or empty unless ``overwrite``.

    Raises:
        ValueError: for a folder holding files without ``overwrite``, or one that cannot be written.
    """
    out = Path(out).expanduser()
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"--out {out} exists and is not empty; choose a new folder, add crops to a result with "
                         "--into, or replace it with --overwrite")
    return check_writable(out, what="--out", folder=True)


def clear_result(out: Path) -> None:
    """Delete the files of an earlier identities result in ``out`` (for ``--overwrite``)."""
    removed = result_paths(out)
    for path in removed:
        path.unlink()
    if removed:
        logger.warning("--overwrite: deleted %d file(s) of an earlier identities result from %s", len(removed), out)
