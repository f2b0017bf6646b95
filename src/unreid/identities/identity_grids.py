"""One JPEG per identity: its crops in rows by camera, so a person checks it at a glance.

Each row starts with the camera label (1-based, ``c1``) and the number of crops that
camera saw, followed by up to ``per_row`` thumbnails (most similar to the centroid first);
a row with more crops ends in ``+N``. Unknown cameras make a single row labelled ``?``.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from unreid.evaluation.ranked_list_grid import BACKGROUND, GAP, TEXT_COLOUR, _thumbnail
from unreid.identities.crop_records import Crop
from unreid.identities.result_files import camera_label
from unreid.io.atomic_file import atomic_write_bytes

logger = logging.getLogger(__name__)

LABEL_WIDTH = 56
"""Pixels left of each row for the camera label."""


def grid_name(identity: int) -> str:
    return f"identity_{identity:04d}.jpg"


def identity_grid(crops: list[Crop], similarities: np.ndarray, *, per_row: int = 12,
                  cell_size: tuple[int, int] = (48, 96)) -> Image.Image:
    """The grid of one identity's ``crops`` (``similarities [M]`` to its centroid order each row)."""
    rows: dict[int | None, list[int]] = {}
    for index in np.argsort(-np.nan_to_num(similarities, nan=-2.0), kind="stable").tolist():
        rows.setdefault(crops[index].camera, []).append(index)
    order = sorted(rows, key=lambda c: -1 if c is None else c)
    width = LABEL_WIDTH + per_row * (cell_size[0] + GAP) + 3 * GAP
    height = GAP + len(order) * (cell_size[1] + GAP)
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()
    for row, camera in enumerate(order):
        y = GAP + row * (cell_size[1] + GAP)
        members = rows[camera]
        draw.text((GAP, y + cell_size[1] // 2 - 12), camera_label(camera) or "?", fill=TEXT_COLOUR, font=font)
        draw.text((GAP, y + cell_size[1] // 2 + 2), f"{len(members)}", fill=TEXT_COLOUR, font=font)
        for slot, index in enumerate(members[:per_row]):
            canvas.paste(_thumbnail(crops[index].path, cell_size), (LABEL_WIDTH + slot * (cell_size[0] + GAP), y))
        if len(members) > per_row:
            draw.text((LABEL_WIDTH + per_row * (cell_size[0] + GAP), y + cell_size[1] // 2 - 6),
                      f"+{len(members) - per_row}", fill=TEXT_COLOUR, font=font)
    return canvas


def save_identity_grids(folder: Path, crops: list[Crop], identities: np.ndarray, similarities: np.ndarray,
                        *, only: set[int] | None = None) -> int:
    """Write ``folder/identity_XXXX.jpg`` for every identity (or those in ``only``); returns how many."""
    members: dict[int, list[int]] = {}
    for index, identity in enumerate(identities.tolist()):
        if identity >= 0 and (only is None or identity in only):
            members.setdefault(identity, []).append(index)
    for identity, indices in members.items():
        image = identity_grid([crops[i] for i in indices], similarities[indices])
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=88)
        atomic_write_bytes(folder / grid_name(identity), buffer.getvalue(), permissions=0o644)
    logger.info("wrote %d identity grid(s) to %s", len(members), folder)
    return len(members)
