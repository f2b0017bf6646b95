"""Generic data set: folders of person crops whose file names carry camera (and maybe person) ids.

Use this for your own footage: put the crops of each subset in a folder (sub-folders
are searched too; ``*.jpg``, ``*.jpeg`` and ``*.png`` are read, other files ignored) and
give a regular expression, applied with :func:`re.search` to each file *name*, with
named groups:

* ``cam``: the camera, any string (``"c3"``, ``"entrance"``); required when query and
  gallery folders are given, because the evaluation protocol needs cameras. Without a
  ``cam`` group every training image is camera 0; with one, it must match in every name.
* ``pid``: optional person id, used only for evaluation and diagnostics (training is
  unsupervised). Without it, or when it did not take part in a match, the record gets
  :data:`~unreid.data.records.UNKNOWN_PERSON`. Integer ids are kept as they are (so
  ``-1`` means junk and ``0`` a distractor, as in Market-1501); if any id is not an
  integer, all ids are mapped to ``0..n-1`` in sorted order of their strings.

Camera strings are mapped to contiguous zero-based ids in sorted order of the strings,
with one mapping shared by train, query and gallery (sorting is numeric when every
camera string is an integer, so ``"2"`` comes before ``"10"``). Records are sorted by
path. Images inside the query or gallery folder are left out of the training set
when those folders lie inside the training folder.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from unreid.data.records import UNKNOWN_PERSON, Record, ReIDSplit

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
"""File suffixes read as images (case-insensitive)."""

_Parsed = tuple[Path, str | None, str]  # (path, pid string or None, cam string)


def _compile(pattern: str, *, needs_cam: bool) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"data.folder_pattern {pattern!r} is not a valid regular expression ({error}); "
            r"fix it, e.g. (?P<pid>\d+)_c(?P<cam>\d+)"
        ) from None
    if needs_cam and "cam" not in regex.groupindex:
        raise ValueError(
            f"data.folder_pattern {pattern!r} has no named group 'cam', which evaluation needs "
            r"(query and gallery were given); add one, e.g. (?P<pid>\d+)_c(?P<cam>\d+)"
        )
    unknown = set(regex.groupindex) - {"cam", "pid"}
    if unknown:
        logger.debug("folder pattern groups %s are ignored (only 'cam' and 'pid' are used)", sorted(unknown))
    return regex


def _images(folder: Path, *, role: str, exclude: tuple[Path, ...] = ()) -> list[Path]:
    if not folder.is_dir():
        raise ValueError(f"{role} folder {folder} does not exist; give a folder of *.jpg/*.jpeg/*.png person crops")
    paths = sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not any(p.is_relative_to(e) for e in exclude)
    )
    if not paths:
        raise ValueError(f"{role} folder {folder} holds no *.jpg, *.jpeg or *.png files; check the path")
    return paths


def _parse(paths: list[Path], regex: re.Pattern[str]) -> list[_Parsed]:
    has_cam = "cam" in regex.groupindex
    parsed: list[_Parsed] = []
    for path in paths:
        match = regex.search(path.name)
        if match is None:
            raise ValueError(
                f"{path}: file name does not match data.folder_pattern {regex.pattern!r}; "
                "rename the file, remove it, or change the pattern"
            )
        groups = match.groupdict()
        cam = groups.get("cam") if has_cam else "0"
        if cam is None:
            raise ValueError(
                f"{path}: the 'cam' group of data.folder_pattern {regex.pattern!r} did not match anything "
                "in this name; make the group non-optional or rename the file"
            )
        parsed.append((path, groups.get("pid"), cam))
    return parsed


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _string_mapping(values: set[str]) -> dict[str, int]:
    """Sorted strings -> 0..n-1 (numeric order when all are integers)."""
    key = (lambda s: int(s)) if all(_is_int(v) for v in values) else (lambda s: s)
    return {value: index for index, value in enumerate(sorted(values, key=key))}


def load_folder(*, train: Path, query: Path | None = None, gallery: Path | None = None, pattern: str) -> ReIDSplit:
    """Read folders of crops into a split (see the module docstring for the rules).

    Args:
        train: folder of training crops (unlabelled).
        query: folder of query crops, or ``None`` for training without evaluation.
        gallery: folder of gallery crops; given exactly when ``query`` is.
        pattern: regular expression with a ``cam`` group and optionally a ``pid`` group.

    Returns:
        The split, named ``"folder"``; ``query`` and ``gallery`` are empty without
        evaluation folders. ``notes["cameras"]`` lists ``camera_id=string`` pairs.

    Raises:
        ValueError: on a bad pattern, a missing or empty folder, or a file name that does
            not match.
    """
    if (query is None) != (gallery is None):
        raise ValueError("load_folder: give both a query and a gallery folder (for evaluation) or neither")
    evaluate = query is not None
    regex = _compile(pattern, needs_cam=evaluate)
    train = Path(train).expanduser().resolve()
    folders: dict[str, Path] = {}
    if query is not None and gallery is not None:
        folders = {"query": Path(query).expanduser().resolve(), "gallery": Path(gallery).expanduser().resolve()}
    parsed = {"train": _parse(_images(train, role="training", exclude=tuple(folders.values())), regex)}
    for role, folder in folders.items():
        parsed[role] = _parse(_images(folder, role=role), regex)

    all_items = [item for items in parsed.values() for item in items]
    cameras = _string_mapping({cam for _, _, cam in all_items})
    pid_strings = {pid for _, pid, _ in all_items if pid is not None}
    pids = None if all(_is_int(p) for p in pid_strings) else _string_mapping(pid_strings)

    def record(item: _Parsed) -> Record:
        path, pid, cam = item
        if pid is None:
            person = UNKNOWN_PERSON
        else:
            person = int(pid) if pids is None else pids[pid]
        return Record(path, person, cameras[cam])

    records = {role: [record(item) for item in items] for role, items in parsed.items()}
    notes = {"pattern": pattern, "cameras": ", ".join(f"{i}={c}" for c, i in cameras.items())}
    split = ReIDSplit("folder", records["train"], records.get("query", []), records.get("gallery", []),
                      root=train, notes=notes)
    logger.info("%s", split.summary())
    return split
