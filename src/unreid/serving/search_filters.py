"""Which gallery entries a search may return: one camera only, not the query itself, not the query's camera.

Filters are applied to the ranked list, after an over-fetch from the index of exactly as
many entries as the filters remove, so the ``top_k`` kept hits are the true best ones
among the allowed entries for an exact index. ``exclude_same_camera`` is the Market-1501
evaluation protocol (a match seen by the same camera is not a cross-camera re-identification).
Camera numbers in the API are the records' zero-based ``camera_id`` (the page's ``c1`` is
camera 0); ``c1`` style labels are accepted too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unreid.data.records import Record
from unreid.retrieval.image_records import UNKNOWN_CAMERA

logger = logging.getLogger(__name__)

FILTER_PARAMETERS = ("camera", "exclude_self", "exclude_same_camera")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


class FilterError(ValueError):
    """A filter parameter that cannot be applied (the message says why and what to send instead)."""


@dataclass(frozen=True)
class SearchFilters:
    """What a search leaves out.

    Attributes:
        camera: keep only gallery entries of this zero-based camera id (``None``: all cameras).
        exclude_self: drop the query's own gallery entry (same row, or the same image file).
        exclude_same_camera: drop gallery entries seen by the query's camera.
    """

    camera: int | None = None
    exclude_self: bool = False
    exclude_same_camera: bool = False

    @property
    def active(self) -> bool:
        return self.camera is not None or self.exclude_self or self.exclude_same_camera


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FilterError(f"{name}={query[name]!r} is not a yes/no value; use {name}=1 or {name}=0")


def _camera(text: str, cameras: Sequence[int]) -> int:
    """The zero-based camera id of ``text`` (``"0"`` or ``"c1"``), which must be one of ``cameras``."""
    labels = ", ".join(f"{c} (c{c + 1})" for c in cameras)
    value = text.strip().lower()
    try:
        camera = int(value[1:]) - 1 if value.startswith("c") else int(value)
    except ValueError:
        raise FilterError(f"camera={text!r} is not a camera number; use one of {labels}") from None
    if camera not in cameras:
        if not cameras:
            raise FilterError("camera: the crops of this gallery have no camera ids (their file names carry none)")
        raise FilterError(f"camera={text!r} is not a camera of this gallery; use one of {labels}")
    return camera


def parse_filters(query: Mapping[str, str], *, cameras: Sequence[int]) -> SearchFilters:
    """The filters named in ``query`` (the request's query parameters), checked against the gallery's ``cameras``."""
    camera = _camera(query["camera"], cameras) if query.get("camera", "") != "" else None
    return SearchFilters(camera=camera, exclude_self=_flag(query, "exclude_self"),
                         exclude_same_camera=_flag(query, "exclude_same_camera"))


def allowed_rows(records: Sequence[Record], filters: SearchFilters, *, query_row: int | None,
                 query_camera: int = UNKNOWN_CAMERA) -> np.ndarray:
    """``[G]`` bool: the gallery entries a search with ``filters`` may return.

    Args:
        records: the gallery's records.
        filters: what to leave out.
        query_row: the query's gallery row when the query is a gallery crop, else ``None``
            (then ``exclude_self`` is left to :func:`same_file` on the ranked hits).
        query_camera: the query's camera id (needed by ``exclude_same_camera``).

    Raises:
        FilterError: ``exclude_same_camera`` with a query of unknown camera.
    """
    cameras = np.array([r.camera_id for r in records], dtype=np.int64)  # [G]
    keep = np.ones(len(records), dtype=bool)  # [G]
    if filters.camera is not None:
        keep &= cameras == filters.camera
    if filters.exclude_same_camera:
        if query_camera == UNKNOWN_CAMERA:
            raise FilterError("exclude_same_camera: the query's camera is unknown (an upload, or a gallery crop "
                              "without camera id); pick a gallery crop with a camera, or use camera=N instead")
        keep &= cameras != query_camera
    if filters.exclude_self and query_row is not None:
        own = Path(records[query_row].path)
        keep &= np.array([Path(r.path) != own for r in records], dtype=bool)  # the row and any copy of its entry
    return keep


def same_file(path: Path, data: bytes) -> bool:
    """Whether the gallery image at ``path`` holds exactly the bytes ``data`` (an uploaded copy of it)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
