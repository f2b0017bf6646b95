"""A PNG of search results: per query row, the query crop then its ranked gallery crops.

Each gallery crop is labelled with its rank, score and one-based camera. When both the
query's and the crop's person ids are known (``>= 0``), the crop is framed green for the
same person and red for another; otherwise grey.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from unreid.data.records import Record, camera_name
from unreid.evaluation.ranked_list_grid import (
    BACKGROUND,
    BORDER,
    GAP,
    MATCH_COLOUR,
    MISMATCH_COLOUR,
    QUERY_COLOUR,
    TEXT_COLOUR,
    UNKNOWN_COLOUR,
)
from unreid.retrieval.image_input import to_rgb

logger = logging.getLogger(__name__)

LABEL_LINES = 2
LINE_HEIGHT = 12


def match_colour(query: Record, hit: Record) -> tuple[int, int, int]:
    """Green for the same known person, red for another known person, grey when either is unknown."""
    if query.person_id < 0 or hit.person_id < 0:
        return UNKNOWN_COLOUR
    return MATCH_COLOUR if query.person_id == hit.person_id else MISMATCH_COLOUR


def _thumbnail(path: Path, size: tuple[int, int]) -> Image.Image:
    try:
        return to_rgb(path).resize(size, Image.Resampling.BILINEAR)
    except ValueError as error:
        logger.warning("search grid: %s; drawing a grey placeholder", error)
        return Image.new("RGB", size, (190, 190, 190))


def _camera(record: Record) -> str:
    return camera_name(record.camera_id) or "c?"


def save_search_grid(
    *, path: Path, queries: Sequence[Record], hits: Sequence[Sequence[tuple[Record, float]]],
    cell_size: tuple[int, int] = (64, 128),
) -> Path:
    """Draw ``queries[i]`` followed by ``hits[i]`` (``(record, score)``, best first) on row ``i``.

    Returns:
        ``path``; the image is ``GAP + (1 + k) * (cell + GAP) + 2 GAP`` wide for ``k`` hits per row.
    """
    if len(queries) != len(hits) or not queries:
        raise ValueError(f"save_search_grid: {len(queries)} queries but {len(hits)} hit lists")
    top_k = max(1, max(len(h) for h in hits))
    cell_w = cell_size[0] + 2 * BORDER
    cell_h = cell_size[1] + 2 * BORDER + LABEL_LINES * LINE_HEIGHT + 2
    width = GAP + (1 + top_k) * (cell_w + GAP) + 2 * GAP
    canvas = Image.new("RGB", (width, GAP + len(queries) * (cell_h + GAP)), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default()

    def paste(record: Record, x: int, y: int, colour: tuple[int, int, int], lines: list[str]) -> None:
        draw.rectangle((x, y, x + cell_w - 1, y + cell_size[1] + 2 * BORDER - 1), fill=colour)
        canvas.paste(_thumbnail(record.path, cell_size), (x + BORDER, y + BORDER))
        for n, line in enumerate(lines):
            text_w = draw.textlength(line, font=font)
            draw.text((x + (cell_w - text_w) / 2, y + cell_size[1] + 2 * BORDER + 1 + n * LINE_HEIGHT), line,
                      fill=TEXT_COLOUR, font=font)

    for row, (query, row_hits) in enumerate(zip(queries, hits)):
        y = GAP + row * (cell_h + GAP)
        qid = str(query.person_id) if query.person_id >= 0 else "?"
        paste(query, GAP, y, QUERY_COLOUR, ["query", f"id {qid} {_camera(query)}"])
        for rank, (hit, score) in enumerate(row_hits):
            x = GAP + (rank + 1) * (cell_w + GAP) + 2 * GAP
            paste(hit, x, y, match_colour(query, hit), [f"#{rank + 1}: {score:.3f}", _camera(hit)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    logger.info("saved search results of %d queries to %s", len(queries), path)
    return path
