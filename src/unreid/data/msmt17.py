"""MSMT17 parser.

Paper: Wei, Zhang, Gao and Tian, "Person Transfer GAN to Bridge Domain Gap for Person
Re-Identification", CVPR 2018.

MSMT17 has 126,441 boxes of 4,101 identities seen by 15 cameras (12 outdoor, 3 indoor)
on four days of different weather. The standard split:

* train: 32,621 images of 1,041 identities (``list_train.txt`` 30,248 + ``list_val.txt``
  2,373; the validation images belong to the training identities, so both are used);
* query: 11,659 images and gallery: 82,161 images of the 3,060 test identities.

Layout under ``root``::

    list_train.txt  list_val.txt  list_query.txt  list_gallery.txt
    train/<pid dir>/<file>.jpg      (``mask_train_v2/`` in the MSMT17_V2 release)
    test/<pid dir>/<file>.jpg       (``mask_test_v2/`` in the MSMT17_V2 release)

Each list line is ``<pid dir>/<file>.jpg <pid>``, e.g.
``0000/0000_000_01_0303morning_0015_0.jpg 0``; the camera is the third
``_``-separated field of the file name (``01`` .. ``15``), stored zero-based. Person ids
are taken from the lists; train and test ids are separate numberings that both start
at 0 (MSMT17 has neither junk nor distractor boxes, so id 0 is an ordinary person).
Records keep the order of the list files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from unreid.data.records import Record, ReIDSplit

logger = logging.getLogger(__name__)

TRAIN_FOLDERS = ("train", "mask_train_v2")
"""Accepted image folders for ``list_train.txt`` / ``list_val.txt`` (V1 name first)."""

TEST_FOLDERS = ("test", "mask_test_v2")
"""Accepted image folders for ``list_query.txt`` / ``list_gallery.txt`` (V1 name first)."""

_LAYOUT = (
    "the layout must be ROOT/list_train.txt, list_val.txt, list_query.txt, list_gallery.txt "
    "with images under ROOT/train/ and ROOT/test/ (or mask_train_v2/ and mask_test_v2/)"
)


def parse_msmt_camera(file_name: str) -> int:
    """Zero-based camera of an MSMT17 file name (``0000_000_01_0303morning_0015_0.jpg`` -> 0).

    Raises:
        ValueError: when the third ``_``-separated field is not a camera number >= 1.
    """
    fields = Path(file_name).name.split("_")
    if len(fields) < 3 or not fields[2].isdigit() or int(fields[2]) < 1:
        raise ValueError(
            f"{file_name}: not an MSMT17 file name; the third '_'-separated field must be the "
            "camera number 01..15 (e.g. 0000_000_01_0303morning_0015_0.jpg); fix the list file"
        )
    return int(fields[2]) - 1


def _image_folder(root: Path, candidates: tuple[str, ...]) -> Path:
    for name in candidates:
        if (root / name).is_dir():
            return root / name
    tried = ", ".join(str(root / name) for name in candidates)
    raise ValueError(f"MSMT17: none of the image folders {tried} exists; {_LAYOUT}")


def read_msmt_list(list_file: Path, image_folder: Path) -> list[Record]:
    """Parse one MSMT17 list file into records whose paths lie under ``image_folder``.

    Raises:
        ValueError: naming the list file and line when a line is malformed.
    """
    if not list_file.is_file():
        raise ValueError(f"MSMT17: list file {list_file} is missing; {_LAYOUT}")
    records: list[Record] = []
    for number, line in enumerate(list_file.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
            raise ValueError(
                f"{list_file}, line {number}: expected '<pid dir>/<file>.jpg <pid>' but got {line.strip()!r}; "
                "fix or remove the line"
            )
        relative, pid = parts
        try:
            camera_id = parse_msmt_camera(relative)
        except ValueError as error:
            raise ValueError(f"{list_file}, line {number}: {error}") from None
        records.append(Record(image_folder / relative, int(pid), camera_id))
    if not records:
        raise ValueError(f"MSMT17: list file {list_file} has no entries; restore it from the data set archive")
    return records


def load_msmt17(root: Path) -> ReIDSplit:
    """Read the MSMT17 lists under ``root`` (see the module docstring).

    Image files are not opened here; a path that does not exist is reported by the
    image loader. Only the first entry of every list is checked for existence so a
    wrong image folder is caught early.

    Args:
        root: folder holding the four list files and the ``train/`` and ``test/`` folders.

    Returns:
        The split; ``train`` is the union of the train and validation lists.

    Raises:
        ValueError: when a list file or image folder is missing or a list line is malformed.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"MSMT17 root {root} is not a folder; point data.root at it ({_LAYOUT})")
    train_folder = _image_folder(root, TRAIN_FOLDERS)
    test_folder = _image_folder(root, TEST_FOLDERS)
    train = read_msmt_list(root / "list_train.txt", train_folder) + read_msmt_list(root / "list_val.txt", train_folder)
    query = read_msmt_list(root / "list_query.txt", test_folder)
    gallery = read_msmt_list(root / "list_gallery.txt", test_folder)
    for name, records in (("list_train.txt", train), ("list_query.txt", query), ("list_gallery.txt", gallery)):
        if not records[0].path.is_file():
            raise ValueError(
                f"MSMT17: {records[0].path} (first entry of {root / name}) does not exist; "
                f"check that the images are unpacked under the right folder ({_LAYOUT})"
            )
    split = ReIDSplit("msmt17", train, query, gallery, root=root)
    logger.info("%s", split.summary())
    return split
