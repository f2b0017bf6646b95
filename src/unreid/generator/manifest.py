"""The manifest of a rendered folder, and loading it back as an enhancement set.

``unreid generator render`` writes ``manifest.csv`` (and the same rows in
``manifest.json``) next to the JPEGs, one row per generated image::

    generated_path,source_path,source_camera,target_camera
    0002_c1s1_000451_03_fake_c1toc3.jpg,/data/market/bounding_box_train/0002_c1s1_000451_03.jpg,0,2

``generated_path`` is relative to the folder; cameras are zero-based ids as in
:class:`~unreid.data.records.Record` (file names use the data set's numbering, ``c1`` =
camera 0). Training finds each source among its own training records by path, so a
generated image always follows its source's pseudo-label.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from unreid.data.image_bank import decode_images
from unreid.data.records import Record
from unreid.generator.enhancement_set import EnhancementSet

logger = logging.getLogger(__name__)

MANIFEST_CSV = "manifest.csv"
MANIFEST_JSON = "manifest.json"
COLUMNS = ("generated_path", "source_path", "source_camera", "target_camera")


@dataclass(frozen=True)
class GeneratedEntry:
    """One generated image: where it is, which training image it renders, from and to which camera."""

    generated_path: str
    source_path: str
    source_camera: int
    target_camera: int


def generated_name(source: Path, *, source_camera: int, target_camera: int) -> str:
    """``<source stem>_fake_c<A>toc<B>.jpg`` with one-based camera numbers."""
    return f"{Path(source).stem}_fake_c{source_camera + 1}toc{target_camera + 1}.jpg"


def write_manifest(folder: Path, entries: list[GeneratedEntry], *, meta: dict[str, object]) -> Path:
    """Write ``manifest.csv`` and ``manifest.json`` (rows plus ``meta``) into ``folder``."""
    folder = Path(folder)
    with (folder / MANIFEST_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(asdict(e) for e in entries)
    payload = {"meta": meta, "images": [asdict(e) for e in entries]}
    (folder / MANIFEST_JSON).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return folder / MANIFEST_CSV


def read_manifest(folder: Path) -> list[GeneratedEntry]:
    """Rows of ``folder/manifest.csv``; ``ValueError`` naming the file when it is missing or malformed."""
    path = Path(folder).expanduser() / MANIFEST_CSV
    if not path.is_file():
        raise ValueError(f"{path}: no manifest; render the folder with `unreid generator render` first")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or set(COLUMNS) - set(reader.fieldnames):
            raise ValueError(f"{path}: expected columns {', '.join(COLUMNS)}, got {reader.fieldnames}")
        try:
            return [GeneratedEntry(r["generated_path"], r["source_path"], int(r["source_camera"]),
                                   int(r["target_camera"])) for r in reader]
        except ValueError as error:
            raise ValueError(f"{path}: camera columns must be integers ({error})") from error


def load_enhancement_set(
    *, folder: Path, train_records: list[Record], height: int, width: int, device: torch.device | str = "cpu",
    progress: bool = True,
) -> EnhancementSet:
    """Decode a rendered folder whose sources are among ``train_records``.

    Rows whose source is not a training record (e.g. images dropped by
    ``data.max_train_images``) are skipped with a warning; none matching is an error.
    """
    folder = Path(folder).expanduser()
    entries = read_manifest(folder)
    rows = {str(Path(r.path).resolve()): i for i, r in enumerate(train_records)}
    kept = [(e, rows[str(Path(e.source_path).resolve())]) for e in entries if str(Path(e.source_path).resolve()) in rows]
    if not kept:
        raise ValueError(f"{folder / MANIFEST_CSV}: none of its {len(entries)} source paths is a training image of "
                         "this data set; render it from the same data.root")
    if len(kept) < len(entries):
        logger.warning("%s: %d of %d generated images have sources outside the training set; skipped",
                       folder, len(entries) - len(kept), len(entries))
    pixels = decode_images([folder / e.generated_path for e, _ in kept], height=height, width=width, device=device,
                           progress=progress)  # [M, 3, H, W]
    source = torch.tensor([row for _, row in kept], dtype=torch.long)  # [M]
    records = [Record(folder / e.generated_path, train_records[row].person_id, e.target_camera) for e, row in kept]
    logger.info("loaded %d generated images from %s", len(kept), folder)
    return EnhancementSet(pixels=pixels, source_index=source, records=records)
