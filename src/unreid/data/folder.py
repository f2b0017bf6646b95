"""Generic data set: folders of one's own person crops, in any common layout.

Put the crops of each subset in a folder (sub-folders are searched too; ``*.jpg``,
``*.jpeg`` and ``*.png`` are read, other files ignored). Where the camera, the person and
the track of a crop come from is the *layout* (``data.folder_layout``, see
:mod:`unreid.data.folder_layout`): ``auto`` (the default) recognises Market-1501-style
names (``0002_c1s1_000451_03.jpg``), tracker names (``cam1_track11_frame004101.jpg``), one
folder per camera (``cam1/``, ``c3/``, ``camera_3/``) and plain names (``img_00000.jpg``).
Any other naming is one option away:

* ``data.folder_pattern``: a regular expression applied with :func:`re.search` to each
  file *name*, with optional named groups ``cam`` (the camera, any string), ``pid`` (the
  person, used only for evaluation and diagnostics: training is unsupervised) and
  ``track`` (crops of one tracklet of a within-camera tracker).
* ``data.folder_camera_level``: the N-th folder below the data set folder names the
  camera whatever its name (``lobby/``, ``entrance/``); it wins over a ``cam`` group.

Without a camera source every image is camera 0 and ``notes["cameras"]`` says so.
Evaluation folders need cameras (the protocol drops same-camera matches). Camera strings
are mapped to contiguous zero-based ids in sorted order, one mapping shared by train,
query and gallery (numeric order when every camera string is an integer). Tracks are
numbered ``0..n-1`` over their ``(camera, track)`` pairs, so track 11 of camera 1 and of
camera 2 differ. Person ids: integers are kept (``-1`` junk, ``0`` distractor, as in
Market-1501); if any is not an integer, all are mapped to ``0..n-1``. Records are sorted by
path. Images inside the query or gallery folder are left out of the training set when
those folders lie inside the training folder.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from unreid.data.duplicate_files import drop_duplicate_files
from unreid.data.folder_layout import NAME_PATTERNS, CameraFolder, FolderLayout, detect_layout, layout_choices
from unreid.data.records import UNKNOWN_PERSON, UNKNOWN_TRACK, Record, ReIDSplit

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
"""File suffixes read as images (case-insensitive)."""


@dataclass(frozen=True)
class _Parsed:
    path: Path
    pid: str | None
    cam: str | None
    track: str | None


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"data.folder_pattern {pattern!r} is not a valid regular expression ({error}); "
            r"fix it, e.g. (?P<pid>\d+)_c(?P<cam>\d+), or use data.folder_layout (" + layout_choices() + ")"
        ) from None
    unknown = set(regex.groupindex) - {"cam", "pid", "track"}
    if unknown:
        logger.debug("folder pattern groups %s are ignored (only 'cam', 'pid' and 'track' are used)", sorted(unknown))
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


def _name_pattern(pattern: str, layout: FolderLayout, relative: list[Path]) -> tuple[str, FolderLayout]:
    """The file-name pattern to apply ("" = none) and the layout it came from."""
    if pattern:
        if layout is not FolderLayout.AUTO:
            raise ValueError(f"data.folder_pattern={pattern!r} and data.folder_layout={layout.value} both say how "
                             "names are read; keep one of them")
        return pattern, layout
    if layout is FolderLayout.AUTO:
        layout = detect_layout(relative)
        logger.info("data.folder_layout=auto: the crops look like the %r layout", layout.value)
    return NAME_PATTERNS.get(layout, ""), layout


def _parse(paths: list[Path], *, base: Path, regex: re.Pattern[str] | None, folder: CameraFolder | None) -> list[_Parsed]:
    parsed = []
    for path in paths:
        groups: dict[str, str | None] = {}
        if regex is not None:
            match = regex.search(path.name)
            if match is None:
                raise ValueError(f"{path}: file name does not match the pattern {regex.pattern!r} (data.folder_pattern"
                                 " or data.folder_layout); rename the file, remove it, or change the layout ("
                                 + layout_choices() + ")")
            groups = match.groupdict()
            if "cam" in regex.groupindex and groups["cam"] is None and folder is None:
                raise ValueError(f"{path}: the 'cam' group of {regex.pattern!r} did not match anything in this name; "
                                 "make the group non-optional or rename the file")
        cam = groups.get("cam")
        if folder is not None:
            cam = folder.camera(path.relative_to(base))
            if cam is None:
                where = (f"no folder level {folder.level} below {base}" if folder.level
                         else f"no folder named like a camera (cam3/, c3/, camera_3/) between {base} and the file")
                raise ValueError(f"{path}: {where}; move it into a camera folder, or name the camera folder level "
                                 "with data.folder_camera_level=N (1 = the first folder below the data set folder)")
        parsed.append(_Parsed(path, groups.get("pid"), cam, groups.get("track")))
    return parsed


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _string_mapping(values: set[str]) -> dict[str, int]:
    """Sorted strings -> 0..n-1 (numeric order when all are integers)."""
    key = (lambda s: int(s)) if all(_is_int(v) for v in values) else (lambda s: s)
    return {value: index for index, value in enumerate(sorted(values, key=key))}


def _track_order(key: tuple[int, str]) -> tuple[int, int, str]:
    camera, track = key
    return camera, int(track) if _is_int(track) else 0, track


def load_folder(*, train: Path, query: Path | None = None, gallery: Path | None = None, pattern: str = "",
                layout: FolderLayout = FolderLayout.AUTO, camera_level: int = 0) -> ReIDSplit:
    """Read folders of crops into a split (see the module docstring for the rules).

    Args:
        train: folder of training crops (unlabelled).
        query: folder of query crops, or ``None`` for training without evaluation.
        gallery: folder of gallery crops; given exactly when ``query`` is.
        pattern: regular expression on file names with optional ``cam``, ``pid`` and
            ``track`` groups; ``""`` reads names as ``layout`` says.
        layout: a named layout, or ``auto`` to recognise it from the paths.
        camera_level: ``>= 1``: the camera is that folder level below each subset's folder.

    Returns:
        The split, named ``"folder"``; ``query`` and ``gallery`` are empty without
        evaluation folders. ``notes`` holds the ``layout``, the ``pattern`` and the
        ``cameras`` (``camera_id=string`` pairs, or ``unknown``).

    Raises:
        ValueError: on a bad pattern, a missing or empty folder, a file name that does not
            match, or evaluation folders without cameras.
    """
    if (query is None) != (gallery is None):
        raise ValueError("load_folder: give both a query and a gallery folder (for evaluation) or neither")
    layout = FolderLayout(layout)
    train = Path(train).expanduser().resolve()
    folders: dict[str, Path] = {"train": train}
    if query is not None and gallery is not None:
        folders |= {"query": Path(query).expanduser().resolve(), "gallery": Path(gallery).expanduser().resolve()}
    exclude = tuple(f for role, f in folders.items() if role != "train")
    paths = {role: _images(folder, role="training" if role == "train" else role,
                           exclude=exclude if role == "train" else ()) for role, folder in folders.items()}
    paths["train"] = drop_duplicate_files(paths["train"], role="training")
    relative = [p.relative_to(folders[role]) for role, items in paths.items() for p in items]
    name_pattern, layout = _name_pattern(pattern, layout, relative)
    regex = _compile(name_pattern) if name_pattern else None
    camera_folder = None
    if camera_level > 0 or layout is FolderLayout.CAMERA_FOLDERS:
        camera_folder = CameraFolder(level=camera_level)
    elif (regex is None or "cam" not in regex.groupindex) and all(
            CameraFolder().camera(p) is not None for p in relative):
        camera_folder = CameraFolder()  # a pattern without cam, and every crop sits in a cam3/-like folder
    parsed = {role: _parse(items, base=folders[role], regex=regex, folder=camera_folder)
              for role, items in paths.items()}

    all_items = [item for items in parsed.values() for item in items]
    cameras_known = all(item.cam is not None for item in all_items)
    if "query" in parsed and not cameras_known:
        raise ValueError(f"query and gallery folders need cameras (the evaluation protocol drops same-camera "
                         f"matches), but the names under {folders['query']} and {folders['gallery']} carry none; "
                         "put them in cam1/, cam2/ folders, or give data.folder_pattern with a (?P<cam>...) group")
    cameras = _string_mapping({item.cam or "0" for item in all_items})
    pid_strings = {item.pid for item in all_items if item.pid is not None}
    pids = None if all(_is_int(p) for p in pid_strings) else _string_mapping(pid_strings)
    track_keys = {(cameras[item.cam or "0"], item.track) for item in all_items if item.track is not None}
    tracks = {key: index for index, key in enumerate(sorted(track_keys, key=_track_order))}

    def record(item: _Parsed) -> Record:
        person = UNKNOWN_PERSON if item.pid is None else (int(item.pid) if pids is None else pids[item.pid])
        camera = cameras[item.cam or "0"]
        track = UNKNOWN_TRACK
        if item.track is not None:
            track = tracks[(camera, item.track)]
        return Record(item.path, person, camera, track)

    records = {role: [record(item) for item in items] for role, items in parsed.items()}
    notes = {"layout": layout.value, "pattern": name_pattern,
             "cameras": ", ".join(f"{i}={c}" for c, i in cameras.items()) if cameras_known else "unknown"}
    split = ReIDSplit("folder", records["train"], records.get("query", []), records.get("gallery", []),
                      root=train, notes=notes)
    logger.info("%s", split.summary())
    return split
