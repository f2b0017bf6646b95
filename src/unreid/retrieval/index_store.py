"""Save and load a :class:`GalleryIndex` as a folder.

``meta.json`` (kind, size, model fingerprint, options), ``features.npy``, ``records.json``
and, for faiss kinds, ``index.faiss``. The features are kept so that a machine without
faiss can still search (exactly, with torch), and so that the index can be rebuilt.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np

from unreid.retrieval.feature_file import records_from_json, records_to_json
from unreid.retrieval.gallery_index import GalleryIndex, IndexKind, IndexOptions, faiss_available

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


def save_index(index: GalleryIndex, folder: Path) -> Path:
    """Write ``index`` into ``folder`` (created); returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "features.npy", np.ascontiguousarray(index.features.cpu().numpy(), dtype=np.float32))
    records = index.records or []
    (folder / "records.json").write_text(json.dumps(records_to_json(records), indent=1), encoding="utf-8")
    faiss_index = index.faiss_index()
    if faiss_index is not None:
        import faiss

        faiss.write_index(faiss_index, str(folder / "index.faiss"))
    meta = {"format_version": FORMAT_VERSION, "kind": index.kind.value, "count": len(index), "dim": index.dim,
            "fingerprint": index.fingerprint, "options": dataclasses.asdict(index.options)}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    logger.info("saved %s index of %d x %d to %s", index.kind.value, len(index), index.dim, folder)
    return folder


def load_index(folder: Path) -> GalleryIndex:
    """Read an index written by :func:`save_index`; ``ValueError`` says what is wrong and how to fix it."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise ValueError(f"{folder}: no gallery index here (no meta.json); build one with `unreid index build`")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        features = np.load(folder / "features.npy", allow_pickle=False)  # [G, D]
        records = records_from_json(json.loads((folder / "records.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{folder}: damaged gallery index ({error}); rebuild it with `unreid index build`") from error
    if features.shape[0] == 0:
        raise ValueError(f"{folder}: the gallery index is empty; rebuild it from a folder that holds crops")
    try:
        if not isinstance(meta, dict) or not isinstance(meta.get("options", {}), dict):
            raise TypeError("meta.json is not an object with an 'options' object")
        kind = IndexKind.parse(meta.get("kind", "exact"))
        options = IndexOptions(**meta.get("options", {}))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{meta_path}: damaged gallery index metadata ({error}); "
                         f"rebuild it with `unreid index build ... --out {folder} --overwrite`") from None
    faiss_file = folder / "index.faiss"
    if kind is IndexKind.TORCH or not faiss_available() or not faiss_file.is_file():
        # torch, or rebuilt from features (exact kinds are cheap; no faiss falls back to torch)
        return GalleryIndex(features, records=records or None, kind=kind, options=options,
                            fingerprint=meta.get("fingerprint"))
    import faiss

    index = GalleryIndex(features, records=records or None, kind=IndexKind.TORCH, options=options,
                         fingerprint=meta.get("fingerprint"))
    try:
        faiss_index = faiss.read_index(str(faiss_file))
    except RuntimeError as error:
        detail = str(error).strip().splitlines()[-1][:160] if str(error).strip() else type(error).__name__
        raise ValueError(f"{faiss_file}: damaged faiss index ({detail}); rebuild it with "
                         f"`unreid index build ... --out {folder} --overwrite`") from None
    index.attach_faiss(faiss_index, kind=kind)
    return index
