"""Where a crop's camera, identity and track come from in a folder of one's own crops.

People lay out crops in a few common ways: ids in the file name (Market-1501's
``0002_c1s1_000451_03.jpg``), a tracker's output (``cam1_track11_frame004101.jpg``), one
folder per camera (``cam1/00000.jpg``) or no structure at all (``img_00000.jpg``). A
:class:`FolderLayout` names each of them, so nobody has to write a regular expression, and
``auto`` recognises them by looking at every path before anything is decoded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath


class FolderLayout(str, Enum):
    """How the crops of a ``folder`` data set are named (``data.folder_layout``)."""

    AUTO = "auto"
    MARKET = "market"
    TRACKER = "tracker"
    CAMERA_FOLDERS = "camera_folders"
    FLAT = "flat"


NAME_PATTERNS: dict[FolderLayout, str] = {
    FolderLayout.MARKET: r"(?P<pid>-?\d+)_c(?P<cam>\d+)",
    FolderLayout.TRACKER: r"(?i)^(?:cam(?:era)?|c)[_-]?(?P<cam>\d+)[_-]+track(?:let)?[_-]?(?P<track>\d+)",
}
"""File-name patterns of the layouts that carry ids in the name (``re.search`` on the name)."""

CAMERA_FOLDER = re.compile(r"(?i)^(?:cam(?:era)?|c)[ _-]?(?P<cam>\d+)$")
"""A folder named like a camera: ``cam3``, ``c3``, ``camera_3``, ``Camera3``, ``cam-3``."""

EXAMPLES: dict[FolderLayout, str] = {
    FolderLayout.MARKET: "0002_c1s1_000451_03.jpg (person 2, camera 1)",
    FolderLayout.TRACKER: "cam1_track11_frame004101.jpg (camera 1, track 11)",
    FolderLayout.CAMERA_FOLDERS: "cam1/00000.jpg, c3/x.jpg, camera_3/x.jpg (camera from the folder)",
    FolderLayout.FLAT: "img_00000.jpg (no camera, no identity)",
}


@dataclass(frozen=True)
class CameraFolder:
    """The camera of a crop taken from a folder level.

    Attributes:
        level: ``0``: the deepest folder named like a camera (:data:`CAMERA_FOLDER`);
            ``N >= 1``: the N-th folder below the data set folder, whatever its name.
    """

    level: int = 0

    def camera(self, relative: PurePath) -> str | None:
        """The camera string of the crop at ``relative`` (to its data set folder), or ``None``."""
        folders = relative.parts[:-1]
        if self.level > 0:
            return folders[self.level - 1] if len(folders) >= self.level else None
        for name in reversed(folders):
            match = CAMERA_FOLDER.match(name)
            if match:
                return str(int(match["cam"]))
        return None


def detect_layout(relative_paths: Sequence[PurePath]) -> FolderLayout:
    """The first layout that every path fits: market names, tracker names, camera folders, else flat."""
    for layout in (FolderLayout.MARKET, FolderLayout.TRACKER):
        regex = re.compile(NAME_PATTERNS[layout])
        if relative_paths and all(regex.search(p.name) for p in relative_paths):
            return layout
    finder = CameraFolder()
    if relative_paths and all(finder.camera(p) is not None for p in relative_paths):
        return FolderLayout.CAMERA_FOLDERS
    return FolderLayout.FLAT


def layout_choices() -> str:
    """One line per layout with an example name, for error messages and help."""
    return "; ".join(f"{layout.value}: {example}" for layout, example in EXAMPLES.items())
