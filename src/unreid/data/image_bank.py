"""Decode a record list once into one ``uint8`` tensor, on the CPU or a GPU.

Every epoch of unsupervised re-ID reads the whole training set (feature extraction)
and then samples it hundreds of times (training). Decoding each JPEG once and keeping
the pixels as ``uint8`` (Market-1501's 12,936 crops at 256x128 are about 1.3 GB) lets
augmentation run as batched tensor operations on the same device as the model, so no
step waits on image decoding.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from tqdm.auto import tqdm

from unreid.data.records import Record

logger = logging.getLogger(__name__)


def read_image(path: Path, *, height: int, width: int) -> np.ndarray:
    """Read one image as ``uint8 [3, height, width]`` RGB, resized with bilinear filtering.

    Raises ``ValueError`` naming the file when it is missing or not an image.
    """
    try:
        with Image.open(path) as img:
            rgb = img.convert("RGB")
    except FileNotFoundError as error:
        raise ValueError(f"{path}: image file not found; check the data set root or remove the record") from error
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: not a readable image ({error}); delete or replace the file") from error
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), Image.BILINEAR)
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1))  # [H, W, 3] -> [3, H, W]


def decode_images(
    paths: Sequence[Path], *, height: int, width: int, device: torch.device | str = "cpu",
    num_threads: int = 4, progress: bool = True,
) -> Tensor:
    """Decode ``paths`` into ``uint8 [N, 3, height, width]`` on ``device``."""
    out = torch.empty((len(paths), 3, height, width), dtype=torch.uint8)
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        images = pool.map(lambda p: read_image(Path(p), height=height, width=width), paths)
        for i, image in enumerate(tqdm(images, total=len(paths), desc="decode", disable=not progress, leave=False)):
            out[i] = torch.from_numpy(image)
    return out.to(device)


class ImageBank:
    """Decoded pixels of a record list plus its camera ids, on one device.

    Args:
        records: the images, in order; row ``i`` of :attr:`pixels` is ``records[i]``.
        height, width: the size images are resized to.
        device: where the pixels live (the model's device for the fast path).
    """

    def __init__(
        self, records: Sequence[Record], *, height: int, width: int, device: torch.device | str = "cpu",
        progress: bool = True,
    ) -> None:
        if not records:
            raise ValueError("ImageBank needs at least one record; is the data set folder empty?")
        self.records = list(records)
        self.height, self.width = height, width
        self.pixels = decode_images(
            [r.path for r in self.records], height=height, width=width, device=device, progress=progress
        )  # [N, 3, H, W] uint8
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
