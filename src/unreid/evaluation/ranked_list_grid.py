"""A PNG of ranked lists: one row per query, its image then its top-k gallery matches.

Each gallery thumbnail gets a green border when it shows the query's person, a red one
otherwise, and a grey one when an identity is unknown (``-1``); gallery entries the protocol ignores
(same person and camera as the
query, junk) are left out, as in :func:`unreid.evaluation.rank_metrics.evaluate_ranking`.
Labels under the thumbnails give the rank, person id and one-based camera.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from torch import Tensor

from unreid.data.decode import to_rgb_image
from unreid.data.records import Record
from unreid.evaluation.rank_metrics import JUNK_PERSON

logger = logging.getLogger(__name__)

MATCH_COLOUR = (46, 160, 67)
MISMATCH_COLOUR = (215, 58, 73)
UNKNOWN_COLOUR = (150, 150, 150)
QUERY_COLOUR = (60, 60, 60)
BACKGROUND = (255, 255, 255)
TEXT_COLOUR = (40, 40, 40)
BORDER = 4
"""Border width in pixels around each thumbnail."""
LABEL_HEIGHT = 14
"""Height of the text band under each thumbnail."""
GAP = 6
"""Space between cells and around the grid; the query is followed by ``3 * GAP``."""

GalleryMaskFn = Callable[[int], np.ndarray]
"""Maps a query index to a ``[G]`` boolean mask of the gallery entries that may be shown."""


def grid_size(*, num_rows: int, top_k: int, cell_size: tuple[int, int] = (64, 128)) -> tuple[int, int]:
    """``(width, height)`` in pixels of a grid with ``num_rows`` queries and ``top_k`` matches each."""
    cell_w, cell_h = cell_size[0] + 2 * BORDER, cell_size[1] + 2 * BORDER + LABEL_HEIGHT
    width = GAP + (1 + top_k) * (cell_w + GAP) + 2 * GAP
    height = GAP + num_rows * (cell_h + GAP)
    return width, height


def protocol_mask(query: Record, gallery_pids: np.ndarray, gallery_cams: np.ndarray) -> np.ndarray:
    """``[G]`` mask: ``False`` for junk and for the query's person seen by the query's camera.

    A query of unknown identity (unlabelled folders) cannot be judged, so all of the
    gallery is kept for it.
    """
    if query.person_id == JUNK_PERSON:
        return np.ones(len(gallery_pids), dtype=bool)
    same_view = (gallery_pids == query.person_id) & (gallery_cams == query.camera_id)  # [G]
    return (gallery_pids != JUNK_PERSON) & ~same_view  # [G]


def _thumbnail(path: Path, size: tuple[int, int]) -> Image.Image:
    try:
        with Image.open(path) as image:
            return to_rgb_image(image).resize(size, Image.Resampling.BILINEAR)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as error:
        logger.warning("ranked-list grid: cannot read %s (%s); drawing a grey placeholder", path, error)
        return Image.new("RGB", size, (190, 190, 190))


def _default_queries(query_records: Sequence[Record], gallery_pids: np.ndarray, mask_fn: GalleryMaskFn,
                     count: int) -> list[int]:
    """Evenly spaced queries, preferring those with a correct match among the shown entries."""
    with_match = [i for i, q in enumerate(query_records)
                  if q.person_id != JUNK_PERSON and np.any((gallery_pids == q.person_id) & mask_fn(i))]
    pool = with_match or list(range(len(query_records)))
    if len(pool) <= count:
        return pool
    return [pool[int(j)] for j in np.linspace(0, len(pool) - 1, count).round()]


@dataclass(frozen=True)
class GridLayout:
    """How a ranked-list grid looks: gallery thumbnails per row and the size of each thumbnail."""

    top_k: int = 8
    cell_size: tuple[int, int] = (64, 128)  # (width, height) in pixels

    @property
    def cell(self) -> tuple[int, int]:
        """``(width, height)`` of a cell: the thumbnail, its border and the label band."""
        return self.cell_size[0] + 2 * BORDER, self.cell_size[1] + 2 * BORDER + LABEL_HEIGHT


_DEFAULT_LAYOUT = GridLayout()


def _distance_matrix(distances: Tensor | np.ndarray, *, num_queries: int, num_gallery: int) -> np.ndarray:
    dist = distances.detach().cpu().double().numpy() if isinstance(distances, Tensor) else np.asarray(distances)
    if dist.shape != (num_queries, num_gallery):
        raise ValueError(f"save_ranked_list_grid: distances have shape {dist.shape} but there are "
                         f"{num_queries} queries and {num_gallery} gallery records; "
                         "pass matching lists")
    return dist


def _match_colour(query: Record, match: Record) -> tuple[int, int, int]:
    if JUNK_PERSON in (query.person_id, match.person_id):
        return UNKNOWN_COLOUR  # identity unknown: neither right nor wrong
    return MATCH_COLOUR if match.person_id == query.person_id else MISMATCH_COLOUR


class _GridCanvas:
    """The grid image being drawn, one cell at a time."""

    def __init__(self, *, num_rows: int, layout: GridLayout) -> None:
        self.layout = layout
        self.image = Image.new("RGB", grid_size(num_rows=num_rows, top_k=layout.top_k, cell_size=layout.cell_size),
                               BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.font = ImageFont.load_default()

    def paste(self, record: Record, x: int, y: int, colour: tuple[int, int, int], label: str) -> None:
        """``record``'s thumbnail with a ``colour`` border at ``(x, y)``, ``label`` centred under it."""
        (cell_w, _), thumb = self.layout.cell, self.layout.cell_size
        self.draw.rectangle((x, y, x + cell_w - 1, y + thumb[1] + 2 * BORDER - 1), fill=colour)
        self.image.paste(_thumbnail(record.path, thumb), (x + BORDER, y + BORDER))
        text_w = self.draw.textlength(label, font=self.font)
        self.draw.text((x + (cell_w - text_w) / 2, y + thumb[1] + 2 * BORDER + 2), label, fill=TEXT_COLOUR,
                       font=self.font)

    def row(self, row: int, query: Record, matches: Sequence[Record]) -> None:
        """Row ``row``: the query, then its ranked matches."""
        cell_w, cell_h = self.layout.cell
        y = GAP + row * (cell_h + GAP)
        self.paste(query, GAP, y, QUERY_COLOUR, f"Q {query.person_id}/c{query.camera_id + 1}")
        for rank, match in enumerate(matches):
            x = GAP + (rank + 1) * (cell_w + GAP) + 2 * GAP
            self.paste(match, x, y, _match_colour(query, match), f"{rank + 1}: {match.person_id}/c{match.camera_id + 1}")


def save_ranked_list_grid(
    *,
    path: Path,
    query_records: Sequence[Record],
    gallery_records: Sequence[Record],
    distances: Tensor | np.ndarray,
    num_queries: int = 6,
    query_indices: Sequence[int] | None = None,
    gallery_valid_mask_fn: GalleryMaskFn | None = None,
    layout: GridLayout = _DEFAULT_LAYOUT,
) -> Path:
    """Draw the ranked lists of some queries into a PNG file.

    Args:
        path: output ``.png`` file; parent folders are created.
        query_records: the ``Q`` queries, in the row order of ``distances``.
        gallery_records: the ``G`` gallery entries, in the column order of ``distances``.
        distances: ``[Q, G]`` distances, smaller = more similar.
        num_queries: rows to draw when ``query_indices`` is not given (evenly spaced
            queries that have a correct match).
        query_indices: explicit queries to draw, one row each.
        gallery_valid_mask_fn: ``query index -> [G] bool`` mask of entries that may be
            shown; by default the evaluation protocol's (see :func:`protocol_mask`).
        layout: gallery thumbnails per row (fewer when fewer entries are left) and their size.

    Returns:
        ``path``; the image is ``grid_size(num_rows=..., top_k=layout.top_k, cell_size=layout.cell_size)``.

    Raises:
        ValueError: when the sizes of the records and ``distances`` disagree, or an
            index is out of range.
    """
    dist = _distance_matrix(distances, num_queries=len(query_records), num_gallery=len(gallery_records))  # [Q, G]
    if layout.top_k < 1 or num_queries < 1:
        raise ValueError(f"save_ranked_list_grid: top_k={layout.top_k} and num_queries={num_queries} must be >= 1")
    gallery_pids = np.array([g.person_id for g in gallery_records], dtype=np.int64)  # [G]
    gallery_cams = np.array([g.camera_id for g in gallery_records], dtype=np.int64)  # [G]
    mask_fn = gallery_valid_mask_fn or (lambda i: protocol_mask(query_records[i], gallery_pids, gallery_cams))
    if query_indices is None:
        rows = _default_queries(query_records, gallery_pids, mask_fn, num_queries)
    else:
        rows = [int(i) for i in query_indices]
        if any(not 0 <= i < len(query_records) for i in rows):
            raise ValueError(
                f"save_ranked_list_grid: query_indices {rows} out of range for {len(query_records)} queries"
            )
    canvas = _GridCanvas(num_rows=max(len(rows), 1), layout=layout)
    for row, qi in enumerate(rows):
        keep = np.asarray(mask_fn(qi), dtype=bool)  # [G]
        order = np.argsort(dist[qi], kind="stable")  # [G] nearest first
        shown = order[keep[order]][: layout.top_k]  # [<=top_k]
        canvas.row(row, query_records[qi], [gallery_records[int(gi)] for gi in shown])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.image.save(path)
    logger.info("saved ranked lists of %d queries to %s", len(rows), path)
    return path
