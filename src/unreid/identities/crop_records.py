"""The crops of a folder, with camera, track and person ids where their names carry them.

The ``folder`` data set reader (:func:`unreid.data.folder.load_folder`) owns the naming
rules; this module only asks it, first with the ``--pattern`` given, else with the
schema's default ``data.folder_pattern`` and, when names do not follow that, with no
groups at all (cameras and identities unknown). Nothing here decodes an image, so a wrong
folder is refused before any model is loaded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from unreid.config.schema import DataConfig
from unreid.data.folder import IMAGE_SUFFIXES, load_folder
from unreid.data.records import UNKNOWN_PERSON

logger = logging.getLogger(__name__)

NO_GROUPS_PATTERN = "."
"""A pattern every name matches, with no ``cam`` or ``pid`` group."""


@dataclass(frozen=True)
class Crop:
    """One crop: its file, zero-based camera, track and true person, each ``None`` when unknown."""

    path: Path
    camera: int | None
    track: int | None
    person: int | None


def check_crop_folder(folder: Path, *, what: str) -> Path:
    """``folder`` resolved, or a ``ValueError`` naming it when it is missing or holds no crop."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(f"{what} {folder}: no such folder; give a folder of *.jpg/*.jpeg/*.png person crops")
    if not any(p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() for p in folder.rglob("*")):
        raise ValueError(f"{what} {folder}: holds no *.jpg, *.jpeg or *.png file; check the path")
    return folder


def read_crops(folder: Path, *, pattern: str | None = None) -> list[Crop]:
    """The crops under ``folder`` (recursively, sorted by path), ids parsed by the ``folder`` reader.

    Args:
        folder: a folder of crops.
        pattern: file-name regex with optional ``cam``, ``pid`` (and ``track``) groups; ``None``
            tries the default ``data.folder_pattern``, then no ids.

    Raises:
        ValueError: for a missing or empty folder, or names that do not match a given pattern.
    """
    folder = check_crop_folder(folder, what="DIR")
    used = pattern if pattern is not None else DataConfig().folder_pattern
    try:
        split = load_folder(train=folder, pattern=used)
    except ValueError as error:
        if pattern is not None or "does not match" not in str(error):
            raise
        logger.info("crop names do not follow %r (%s): cameras and identities unknown; give --pattern to read them",
                    used, str(error)[:120])
        used = NO_GROUPS_PATTERN
        split = load_folder(train=folder, pattern=used)
    groups = re.compile(used).groupindex
    cameras_known = "cam" in groups or len({r.camera_id for r in split.train}) > 1
    crops = []
    for record in split.train:
        track = getattr(record, "track_id", None)  # set by readers that parse a ``track`` group
        crops.append(Crop(
            path=record.path,
            camera=record.camera_id if cameras_known else None,
            track=int(track) if track is not None and int(track) >= 0 else None,
            person=record.person_id if record.person_id != UNKNOWN_PERSON else None,
        ))
    return crops
