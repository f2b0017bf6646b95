"""Market-1501 parser.

Paper: Zheng, Shen, Tian, Wang, Wang and Tian, "Scalable Person Re-identification:
A Benchmark", ICCV 2015.

Layout under ``root``::

    bounding_box_train/   training crops (12,936 images, 751 identities)
    query/                query crops (3,368 images, 750 identities)
    bounding_box_test/    gallery crops (19,732 files, including distractors with id 0000
                          and 3,819 junk boxes with id -1)

File names are ``PPPP_cCsS_FFFFFF_BB.jpg``: person id ``PPPP`` (``-1`` = junk,
``0000`` = distractor), camera ``C`` (1-6), video sequence ``S``, frame ``FFFFFF`` and
detection box ``BB``. The full data set has 32,668 boxes of 1,501 identities seen by
6 cameras; after dropping junk the gallery holds 15,913 images of 751 ids (the 750
test identities plus the distractor id 0).

What this loader does with the special ids:

* junk (``-1``) is dropped everywhere: such boxes count neither as hits nor as misses
  in the standard protocol;
* distractors (``0``) stay in the gallery, where they are ordinary negatives, and are
  dropped from the training set (Market-1501 has none there, but derived copies may).

Camera ``cC`` becomes the zero-based ``camera_id`` ``C - 1``. Image files are those
ending in ``.jpg``, ``.jpeg`` or ``.png`` in any letter case, including doubled endings:
a widely shared copy of Market-1501 has 24 ``*.jpg.jpg`` files in ``query/`` and
``bounding_box_test/``, which torchreid and open-reid read like any other (their glob
``*.jpg`` matches them). Anything else (``Thumbs.db``, ``.DS_Store``, readme files) is
ignored. Records are sorted by file name, so two loads give the same order.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from unreid.data.duplicate_files import drop_duplicate_files
from unreid.data.records import Record, ReIDSplit

logger = logging.getLogger(__name__)

JUNK_PERSON = -1
"""Market-1501 person id of boxes that must be ignored (bad detections)."""

DISTRACTOR_PERSON = 0
"""Market-1501 person id of gallery boxes that show nobody from the query set."""

SUBSET_FOLDERS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}
"""Subset name -> folder under the data set root."""

_NAME = re.compile(
    r"^(?P<pid>-1|\d+)_c(?P<cam>\d+)s(?P<seq>\d+)_(?P<frame>\d+)_(?P<box>\d+)(\.(jpe?g|png))+$", re.IGNORECASE
)

_IMAGE_ENDING = re.compile(r"\.(jpe?g|png)$", re.IGNORECASE)
"""Files the parser reads (``.jpg``, ``.JPG``, ``.jpg.jpg``, ``.jpeg``, ``.png``)."""


def parse_market_name(path: Path) -> tuple[int, int]:
    """Return ``(person_id, zero-based camera_id)`` of a Market-1501 file name.

    Raises:
        ValueError: naming the file when the name does not follow ``PPPP_cCsS_FFFFFF_BB.jpg``.
    """
    match = _NAME.match(path.name)
    if match is None:
        raise ValueError(
            f"{path}: file name does not follow the Market-1501 pattern PPPP_cCsS_FFFFFF_BB.jpg "
            "(e.g. 0002_c1s1_000451_03.jpg); rename or remove the file"
        )
    camera = int(match["cam"])
    if camera < 1:
        raise ValueError(f"{path}: Market-1501 cameras are numbered from c1; rename or remove the file")
    return int(match["pid"]), camera - 1


def bad_names_message(bad: list[Path], *, shown: int = 10) -> str:
    """One message for every file whose name breaks the Market-1501 pattern, with the two ways out."""
    names = ", ".join(str(p) for p in bad[:shown]) + (f" and {len(bad) - shown} more" if len(bad) > shown else "")
    return (
        f"Market-1501: {len(bad)} file name(s) do not follow the pattern PPPP_cCsS_FFFFFF_BB.jpg "
        f"(e.g. 0002_c1s1_000451_03.jpg): {names}; rename or remove them, or read the folders with "
        r"data.dataset=folder and a data.folder_pattern that matches your names (e.g. '(?P<pid>\d+)_c(?P<cam>\d+)')"
    )


def image_files(folder: Path) -> list[Path]:
    """The image files of ``folder`` (``.jpg``, ``.jpeg``, ``.png`` in any case, doubled endings too), sorted."""
    return sorted(p for p in Path(folder).iterdir() if _IMAGE_ENDING.search(p.name) and p.is_file())


def _read_subset(folder: Path, *, keep_distractors: bool, bad: list[Path]) -> list[Record]:
    """The records of one subset folder; names that do not parse are appended to ``bad``."""
    records: list[Record] = []
    junk = distractors = 0
    for path in image_files(folder):
        try:
            person_id, camera_id = parse_market_name(path)
        except ValueError:
            bad.append(path)
            continue
        if person_id == JUNK_PERSON:
            junk += 1
            continue
        if person_id == DISTRACTOR_PERSON and not keep_distractors:
            distractors += 1
            continue
        records.append(Record(path, person_id, camera_id))
    logger.debug("%s: %d images kept, %d junk and %d distractors dropped", folder, len(records), junk, distractors)
    return records


def load_market1501(root: Path) -> ReIDSplit:
    """Read the Market-1501 layout under ``root`` (see the module docstring).

    Args:
        root: folder holding ``bounding_box_train/``, ``query/`` and ``bounding_box_test/``.

    Returns:
        The split; ``train`` has neither junk nor distractors, ``gallery`` keeps distractors.

    Raises:
        ValueError: when a folder is missing or empty, or a ``.jpg`` name is malformed.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(
            f"Market-1501 root {root} is not a folder; point data.root at the folder holding "
            "bounding_box_train/, query/ and bounding_box_test/"
        )
    subsets: dict[str, list[Record]] = {}
    bad: list[Path] = []
    for subset, folder_name in SUBSET_FOLDERS.items():
        folder = root / folder_name
        if not folder.is_dir():
            raise ValueError(
                f"Market-1501: expected folder {folder} is missing; the layout must be "
                f"{root}/bounding_box_train/, {root}/query/ and {root}/bounding_box_test/ "
                "holding PPPP_cCsS_FFFFFF_BB.jpg crops"
            )
        subsets[subset] = _read_subset(folder, keep_distractors=subset == "gallery", bad=bad)
    kept = set(drop_duplicate_files([r.path for r in subsets["train"]], role="training"))
    subsets["train"] = [r for r in subsets["train"] if r.path in kept]
    if bad:
        raise ValueError(bad_names_message(bad))
    for subset, folder_name in SUBSET_FOLDERS.items():
        folder = root / folder_name
        if not subsets[subset]:
            raise ValueError(f"Market-1501: no usable *.jpg/*.png crops in {folder}; check that the data set is unpacked")
    split = ReIDSplit("market1501", subsets["train"], subsets["query"], subsets["gallery"], root=root)
    logger.info("%s", split.summary())
    return split
