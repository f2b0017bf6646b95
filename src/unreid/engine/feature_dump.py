"""Each epoch's training features on disk, so clustering can be studied offline on a CPU.

``run_dir/features/epoch_XXX.npy`` holds ``float16 [N, D]`` L2-normalised features (12,936
Market-1501 images at D=2048 take 53 MB), and ``run_dir/features/records.tsv`` their
records (path, person, camera), written once. ``unreid cluster-lab`` reads both.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import torch.nn.functional as F
from torch import Tensor

from unreid.data.records import Record
from unreid.io.atomic_file import atomic_file

logger = logging.getLogger(__name__)

RECORDS_FILE = "records.tsv"


def save_epoch_features(*, run_dir: Path, epoch: int, features: Tensor, records: list[Record]) -> Path:
    """Write ``features [N, D]`` as ``run_dir/features/epoch_{epoch:03d}.npy`` (float16, atomic)."""
    folder = Path(run_dir) / "features"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / RECORDS_FILE).is_file():
        # surrogateescape: a file name that is not UTF-8 is written as its own bytes and read back the same
        with open(folder / RECORDS_FILE, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
            writer = csv.writer(handle, delimiter="\t")
            writer.writerow(["path", "person_id", "camera_id"])
            writer.writerows([str(r.path), r.person_id, r.camera_id] for r in records)
    path = folder / f"epoch_{epoch:03d}.npy"
    with atomic_file(path, permissions=0o644) as handle:
        np.save(handle, F.normalize(features.float(), dim=1).cpu().numpy().astype(np.float16))
    logger.debug("saved %s", path)
    return path


def load_epoch_features(path: Path) -> tuple[np.ndarray, list[Record]]:
    """``(features float16 [N, D], records)`` of a file written by :func:`save_epoch_features`.

    Raises:
        ValueError: when the file or its ``records.tsv`` is missing or they disagree in length.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such feature file; train with --set train.save_features=true to write them")
    features = np.load(path)
    records_path = path.parent / RECORDS_FILE
    if not records_path.is_file():
        raise ValueError(f"{records_path}: missing; it is written beside the features by train.save_features")
    with open(records_path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    records = [Record(Path(r["path"]), int(r["person_id"]), int(r["camera_id"])) for r in rows]
    if len(records) != features.shape[0]:
        raise ValueError(f"{path}: {features.shape[0]} feature rows but {len(records)} records in {records_path}")
    return features, records
