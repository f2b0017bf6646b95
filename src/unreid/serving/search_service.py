"""What the web page can ask of a gallery index: search by upload or by gallery crop, and crops by number.

The service is separate from HTTP so that it can be tested directly and so that the
rules live in one place: the gallery must not be empty, the model must be the one that
built the index, uploads are decoded only as images, and a gallery image is served only
by its row number in the index, so no request can name a file outside the gallery.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from unreid.retrieval.gallery_index import GalleryIndex
from unreid.retrieval.image_input import (
    IMAGE_SUFFIXES,
    ImageInput,
    TooManyPixels,
    to_rgb,
)
from unreid.retrieval.image_records import UNKNOWN_CAMERA
from unreid.retrieval.model_fingerprint import check_fingerprint
from unreid.retrieval.search_results import Hit, search_index
from unreid.serving.gallery_identities import GalleryIdentities, gallery_identities
from unreid.serving.search_filters import FilterError, SearchFilters, allowed_rows, parse_filters, same_file

logger = logging.getLogger(__name__)

NO_FILTERS = SearchFilters()
_UPLOAD_COPIES = 4
"""Extra hits fetched when an upload may have copies in the gallery (``exclude_self``)."""
_SAME_IMAGE_SCORE = 0.999
"""Only hits this similar to an upload are compared byte by byte with it."""


class BadRequest(ValueError):
    """A client error: ``status`` is the HTTP code to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ServiceLimits:
    """What one client may cost the server.

    Attributes:
        max_upload_bytes: larger request bodies get 413 (before they are read).
        max_top_k: the largest k a client may ask.
        max_pixels: uploads whose header declares more pixels get 413 before decoding
            (a small PNG can declare 6300 x 6300 pixels, 120 MB as RGB).
        max_decoders: uploads decoded at the same time; the others wait their turn, so
            decoding never holds more than ``max_decoders x max_pixels x 4`` bytes.
        read_timeout_s: a client that has not sent its whole body by then gets 408.
        max_connections: connections served at once; more get 503.
        max_examples: the largest ``n`` of ``/api/examples``.
    """

    max_upload_bytes: int = 5 * 2**20
    max_top_k: int = 100
    max_pixels: int = 4_000_000
    max_decoders: int = 2
    read_timeout_s: float = 10.0
    max_connections: int = 64
    max_examples: int = 100


class SearchService:
    """Search a gallery index with uploaded crops.

    Args:
        index: the gallery (must hold at least one entry with records).
        embed: ``images -> float32 [N, D]`` embeddings of the model that built the index.
        fingerprint: that model's fingerprint (``None`` skips the check).
        name: the index's name, for messages.
        limits: request limits.
    """

    def __init__(self, *, index: GalleryIndex, embed: Callable[[Sequence[ImageInput]], np.ndarray],
                 fingerprint: str | None, name: str, limits: ServiceLimits | None = None) -> None:
        if len(index) == 0 or not index.records:
            raise ValueError(f"gallery index {name} is empty; build it from a folder of crops with `unreid index build`")
        check_fingerprint(expected=index.fingerprint, actual=fingerprint, what=f"gallery index {name}")
        self.index, self.embed, self.fingerprint, self.name = index, embed, fingerprint, name
        self.limits = limits or ServiceLimits()
        self._lock = threading.Lock()  # one forward pass at a time
        self._decoders = threading.BoundedSemaphore(self.limits.max_decoders)
        self.cameras = sorted({r.camera_id for r in index.records} - {UNKNOWN_CAMERA})
        self._identities: GalleryIdentities | None = None
        self._identities_lock = threading.Lock()

    def info(self) -> dict[str, Any]:
        return {"gallery_size": len(self.index), "dim": self.index.dim, "kind": self.index.kind.value,
                "fingerprint": self.fingerprint, "cameras": len(self.cameras), "camera_ids": self.cameras,
                "max_upload_bytes": self.limits.max_upload_bytes, "max_top_k": self.limits.max_top_k,
                "max_pixels": self.limits.max_pixels}

    def top_k(self, value: str | None, default: int = 10) -> int:
        try:
            k = int(value) if value not in (None, "") else default
        except ValueError:
            raise BadRequest(f"top_k={value!r} is not a number; use 1..{self.limits.max_top_k}") from None
        if not 1 <= k <= self.limits.max_top_k:
            raise BadRequest(f"top_k={k} is out of range; use 1..{self.limits.max_top_k}")
        return k

    def filters(self, query: Mapping[str, str]) -> SearchFilters:
        """The search filters named in the request's ``query`` parameters (400 when malformed)."""
        try:
            return parse_filters(query, cameras=self.cameras)
        except FilterError as error:
            raise BadRequest(str(error)) from None

    def search_upload(self, data: bytes, *, top_k: int,
                      filters: SearchFilters = NO_FILTERS) -> list[dict[str, Any]]:
        """Ranked hits of an uploaded image file (JPEG, PNG, ...).

        With ``exclude_self`` a gallery file holding exactly the uploaded bytes is left out.
        """
        if not data:
            raise BadRequest("empty upload; send the image file as the request body")
        if len(data) > self.limits.max_upload_bytes:
            raise BadRequest(f"upload of {len(data)} bytes exceeds the limit of {self.limits.max_upload_bytes}",
                             status=413)
        keep = self._allowed(filters, query_row=None, query_camera=UNKNOWN_CAMERA)  # before decoding
        with self._decoders:
            try:
                image = to_rgb(data, max_pixels=self.limits.max_pixels)
            except TooManyPixels as error:
                raise BadRequest(f"image too large: {error}", status=413) from None
            except ValueError as error:
                raise BadRequest(f"not a readable image: {error}", status=415) from None
            with self._lock:
                query = self.embed([image])  # [1, D]
        upload = data if filters.exclude_self else None
        hits = self._ranked(query, top_k=top_k, keep=keep, upload=upload, fingerprint=self.fingerprint)
        return [_public(h.as_dict()) for h in hits]

    def search_gallery_item(self, row: int, *, top_k: int,
                            filters: SearchFilters = NO_FILTERS) -> list[dict[str, Any]]:
        """Ranked hits of gallery crop ``row`` used as the query (its stored embedding).

        Each hit has ``match``: ``True`` / ``False`` when both person ids are known, else ``None``.
        """
        self._check_row(row)
        assert self.index.records is not None
        query = self.index.records[row]
        keep = self._allowed(filters, query_row=row, query_camera=query.camera_id)
        hits = self._ranked(self.index.features[row : row + 1].cpu().numpy(), top_k=top_k, keep=keep, upload=None,
                            fingerprint=self.index.fingerprint)  # [1, D] query
        return [_public(h.as_dict(query)) for h in hits]

    def identities(self) -> dict[str, Any]:
        """The gallery's identities (clustered on the first call, then cached)."""
        with self._identities_lock:
            if self._identities is None:
                assert self.index.records is not None
                self._identities = gallery_identities(features=self.index.features, records=self.index.records)
            return self._identities.as_dict()

    def _allowed(self, filters: SearchFilters, *, query_row: int | None, query_camera: int) -> np.ndarray | None:
        if not filters.active:
            return None
        assert self.index.records is not None
        try:
            keep = allowed_rows(self.index.records, filters, query_row=query_row, query_camera=query_camera)  # [G]
        except FilterError as error:
            raise BadRequest(str(error)) from None
        return keep

    def _ranked(self, query: np.ndarray, *, top_k: int, keep: np.ndarray | None, upload: bytes | None,
                fingerprint: str | None) -> list[Hit]:
        """The ``top_k`` best hits of ``query [1, D]`` among the ``keep`` rows, ranked 1.. again after filtering.

        The index is asked for ``top_k`` plus the number of rows left out (plus a few for
        copies of an uploaded file), doubling while filtering leaves fewer than ``top_k``.
        """
        size = len(self.index)
        excluded = 0 if keep is None else int((~keep).sum())
        fetch = min(size, top_k + excluded + (_UPLOAD_COPIES if upload is not None else 0))
        while True:
            hits = search_index(self.index, query, top_k=fetch, fingerprint=fingerprint, index_name=self.name)[0]
            kept = [h for h in hits if (keep is None or keep[h.index]) and not (
                upload is not None and h.score > _SAME_IMAGE_SCORE and same_file(Path(h.record.path), upload))]
            if len(kept) >= top_k or fetch >= size:
                return [replace(h, rank=rank) for rank, h in enumerate(kept[:top_k], start=1)]
            fetch = min(size, 2 * fetch)

    def _check_row(self, row: int) -> None:
        if not 0 <= row < len(self.index):
            raise BadRequest(f"gallery item {row} does not exist; the gallery has {len(self.index)} items", status=404)

    def gallery_path(self, row: int) -> Path:
        """The image file of gallery entry ``row``: only files recorded in the index are ever read."""
        self._check_row(row)
        assert self.index.records is not None
        path = Path(self.index.records[row].path)
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            raise BadRequest(f"gallery item {row}: its image file is missing; rebuild the index", status=404)
        return path

    def examples(self, count: int) -> list[dict[str, Any]]:
        """Up to ``count`` evenly spaced gallery entries the page offers as queries to pick."""
        if not 1 <= count <= self.limits.max_examples:
            raise BadRequest(f"n={count} is out of range; use 1..{self.limits.max_examples}")
        assert self.index.records is not None
        rows = np.unique(np.linspace(0, len(self.index) - 1, min(count, len(self.index))).round().astype(int))
        return [{"index": int(i), "person_id": self.index.records[i].person_id,
                 "camera_id": self.index.records[i].camera_id} for i in rows]


def _public(hit: dict[str, Any]) -> dict[str, Any]:
    """A hit as the page sees it: the file name and an image URL instead of a server path."""
    path = Path(hit.pop("path"))
    return {**hit, "name": path.name, "image": f"/gallery/{hit['index']}"}
