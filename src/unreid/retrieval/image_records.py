"""Records of the images a user points at: a folder of crops, or a subset of a Market-1501-style root.

Person and camera ids are optional at inference time; they only colour the search grid
and fill the JSON. They come from Market-1501 file names (``0002_c1s1_000451_03.jpg``)
when every name follows that pattern, or from a regular expression with integer
``pid`` and ``cam`` groups (cameras numbered from 1), or from tracker names
(``cam1_track11_frame004101.jpg``) or camera folders (``cam1/``, ``c3/``, ``camera_3/``)
below the folder given; otherwise they are ``-1``.
"""

from __future__ import annotations

import re
from pathlib import Path

from unreid.data.folder_layout import NAME_PATTERNS, CameraFolder, FolderLayout, detect_layout
from unreid.data.market1501 import JUNK_PERSON, SUBSET_FOLDERS, parse_market_name
from unreid.data.records import UNKNOWN_PERSON, Record
from unreid.retrieval.image_input import IMAGE_SUFFIXES, list_images

UNKNOWN_CAMERA = -1


def _market_ids(paths: list[Path]) -> list[tuple[int, int]] | None:
    ids = []
    for path in paths:
        try:
            ids.append(parse_market_name(path))
        except ValueError:
            return None
    return ids


def _pattern_ids(paths: list[Path], pattern: str) -> list[tuple[int, int]]:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"--pattern {pattern!r} is not a valid regular expression ({error})") from None
    ids = []
    for path in paths:
        match = regex.search(path.name)
        if match is None:
            raise ValueError(f"{path}: name does not match --pattern {pattern!r}; rename it or change the pattern")
        groups = match.groupdict()
        pid, cam = groups.get("pid"), groups.get("cam")
        try:
            ids.append((int(pid) if pid is not None else UNKNOWN_PERSON, int(cam) - 1 if cam is not None else -1))
        except ValueError:
            raise ValueError(f"{path}: pid/cam groups of --pattern must be integers, got {pid!r}/{cam!r}") from None
    return ids


def _layout_ids(paths: list[Path], base: Path) -> list[tuple[int, int]] | None:
    """Cameras (numbered from 1) of tracker names or camera folders (``cam1/``, ``c3/``) below ``base``."""
    relative = [p.relative_to(base) if p.is_relative_to(base) else Path(p.name) for p in paths]
    layout = detect_layout(relative)
    if layout is FolderLayout.TRACKER:
        return _pattern_ids(paths, NAME_PATTERNS[layout])
    if layout is FolderLayout.CAMERA_FOLDERS:
        return [(UNKNOWN_PERSON, int(CameraFolder().camera(r) or 0) - 1) for r in relative]
    return None


def image_records(paths: list[Path], *, pattern: str | None = None, base: Path | None = None) -> list[Record]:
    """Records of ``paths`` with ids from ``pattern``, else from Market-1501 names, else from tracker names or
    camera folders below ``base``, else unknown."""
    ids = _pattern_ids(paths, pattern) if pattern else _market_ids(paths)
    if ids is None and base is not None:
        ids = _layout_ids(paths, base)
    if ids is None:
        return [Record(p, UNKNOWN_PERSON, UNKNOWN_CAMERA) for p in paths]
    return [Record(p, pid, cam) for p, (pid, cam) in zip(paths, ids)]


def records_of_source(source: Path, *, subset: str | None = None, pattern: str | None = None) -> list[Record]:
    """Records of an image file, a folder of crops, or ``subset`` of a Market-1501-style root.

    Args:
        source: an image, a folder (searched recursively), or a data set root with ``subset``.
        subset: ``train``, ``query`` or ``gallery``: read ``source/<folder of subset>`` and drop junk (id ``-1``).
        pattern: optional regex with ``pid`` / ``cam`` groups for the ids.
    """
    source = Path(source).expanduser().resolve()
    if subset is not None:
        if subset not in SUBSET_FOLDERS:
            raise ValueError(f"--subset {subset!r}; valid subsets: {', '.join(SUBSET_FOLDERS)}")
        records = image_records(list_images(source / SUBSET_FOLDERS[subset]), pattern=pattern)
        return [r for r in records if r.person_id != JUNK_PERSON]
    if source.is_file():
        if source.suffix.lower() not in IMAGE_SUFFIXES:
            raise ValueError(f"{source}: not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})")
        return image_records([source], pattern=pattern)
    if not source.exists():
        raise ValueError(f"{source}: no such file or folder")
    return image_records(list_images(source), pattern=pattern, base=source)
