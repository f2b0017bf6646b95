"""Decode a record list once into one ``uint8`` tensor, on the CPU or a GPU.

Every epoch of unsupervised re-ID reads the whole training set (feature extraction)
and then samples it hundreds of times (training). Decoding each JPEG once and keeping
the pixels as ``uint8`` (Market-1501's 12,936 crops at 256x128 are about 1.3 GB) lets
augmentation run as batched tensor operations on the same device as the model, so no
step waits on image decoding. Real data sets hold a few broken files (truncated,
zero bytes, not an image); all of them are found in one pass and either listed in one
error or left out with one warning (:class:`BadFilePolicy`), never reported one by one.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from tqdm.auto import tqdm

from unreid.data.decode import resized_pixels
from unreid.data.records import Record

logger = logging.getLogger(__name__)


def read_image(path: Path, *, height: int, width: int) -> np.ndarray:
    """Read one image as ``uint8 [3, height, width]`` RGB, resized with bilinear filtering.

    Raises ``ValueError`` naming the file when it is missing or not an image.
    """
    try:
        with Image.open(path) as img:
            return resized_pixels(img, height=height, width=width)
    except FileNotFoundError as error:
        raise ValueError(f"{path}: image file not found; check the data set root or remove the record") from error
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path}: not a readable image ({error}); delete or replace the file") from error


class BadFilePolicy(enum.Enum):
    """What to do with records whose file cannot be decoded."""

    SKIP = "skip"  # leave them out, with one warning listing them all
    ERROR = "error"  # refuse, listing them all


def _try_read(path: Path, height: int, width: int) -> np.ndarray | str:
    try:
        return read_image(path, height=height, width=width)
    except ValueError as error:
        return str(error)


def bad_files_message(bad: Sequence[tuple[Path, str]], *, shown: int = 20) -> str:
    """One line naming the unreadable files (the first ``shown``) and their count."""
    names = ", ".join(str(path) for path, _ in bad[:shown])
    more = f" and {len(bad) - shown} more" if len(bad) > shown else ""
    return f"{len(bad)} unreadable image file(s): {names}{more}"


def decode_images_checked(
    paths: Sequence[Path], *, height: int, width: int, num_threads: int = 4, progress: bool = True,
) -> tuple[Tensor, list[int], list[tuple[Path, str]]]:
    """Decode what can be decoded: ``uint8 [M, 3, H, W]`` on the CPU, the rows of ``paths``
    it holds, and ``(path, reason)`` of each file that failed."""
    out = torch.empty((len(paths), 3, height, width), dtype=torch.uint8)
    good: list[int] = []
    bad: list[tuple[Path, str]] = []
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        images = pool.map(lambda p: _try_read(Path(p), height, width), paths)
        for i, image in enumerate(tqdm(images, total=len(paths), desc="decode", disable=not progress, leave=False)):
            if isinstance(image, str):
                bad.append((Path(paths[i]), image))
                continue
            out[len(good)] = torch.from_numpy(image)
            good.append(i)
    return out[: len(good)], good, bad


def decode_images(
    paths: Sequence[Path], *, height: int, width: int, device: torch.device | str = "cpu",
    num_threads: int = 4, progress: bool = True,
) -> Tensor:
    """Decode ``paths`` into ``uint8 [N, 3, height, width]`` on ``device``.

    Raises:
        ValueError: naming every file that cannot be read.
    """
    pixels, _, bad = decode_images_checked(paths, height=height, width=width, num_threads=num_threads,
                                           progress=progress)
    if bad:
        raise ValueError(bad[0][1] if len(bad) == 1 else f"{bad_files_message(bad)}; delete or replace them")
    return pixels.to(device)


class ImageBank:
    """Decoded pixels of a record list plus its camera ids, on one device.

    Args:
        records: the images, in order; row ``i`` of :attr:`pixels` is ``records[i]``.
        height, width: the size images are resized to.
        device: where the pixels live (the model's device for the fast path).
        bad_files: refuse on unreadable files, or leave them out (listed in :attr:`bad_files`).
    """

    def __init__(
        self, records: Sequence[Record], *, height: int, width: int, device: torch.device | str = "cpu",
        progress: bool = True, bad_files: BadFilePolicy = BadFilePolicy.ERROR,
    ) -> None:
        if not records:
            raise ValueError("ImageBank needs at least one record; is the data set folder empty?")
        self.height, self.width = height, width
        pixels, good, bad = decode_images_checked(
            [r.path for r in records], height=height, width=width, progress=progress
        )  # [N, 3, H, W] uint8
        self.bad_files: list[tuple[Path, str]] = bad
        if bad and (bad_files is BadFilePolicy.ERROR or not good):
            reason = bad[0][1] if len(bad) == 1 else bad_files_message(bad)
            fix = "no readable image is left" if not good else "delete or replace them, or skip them (data.bad_files=skip)"
            raise ValueError(f"{reason}; {fix}")
        if bad:
            logger.warning("skipped %s", bad_files_message(bad, shown=len(bad)))
        self.records = [records[i] for i in good]
        self.pixels = pixels.to(device)  # [N, 3, H, W] uint8
        self.camera_ids = torch.tensor([r.camera_id for r in self.records], device=self.pixels.device)  # [N]
        logger.info("decoded %d images (%.0f MB) to %s", len(self), self.pixels.numel() / 2**20, self.pixels.device)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def device(self) -> torch.device:
        return self.pixels.device

    def append(self, pixels: Tensor, records: Sequence[Record]) -> None:
        """Add already-decoded images (e.g. generated ones) with their records."""
        if pixels.shape[1:] != self.pixels.shape[1:] or pixels.shape[0] != len(records):
            raise ValueError("append: pixels must be [len(records), 3, H, W] like the bank's")
        self.pixels = torch.cat([self.pixels, pixels.to(self.device)])
        self.records.extend(records)
        self.camera_ids = torch.cat([self.camera_ids, torch.tensor([r.camera_id for r in records], device=self.device)])
