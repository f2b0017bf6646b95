"""Turn whatever a user hands us (a path, bytes, a PIL image, an array) into RGB pixels.

Deployment code meets crops of every size and mode: RGBA PNGs with transparency,
grayscale JPEGs, palette images, ``float`` arrays. One function resolves them all to
``uint8 [3, H, W]`` RGB at the model's input size, and says which input was bad and
how to fix it. It uses only numpy and Pillow, so the ONNX path never imports torch.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from unreid.data.decode import resized_pixels, to_rgb_image

ImageInput = str | Path | bytes | Image.Image | np.ndarray
"""A file path, encoded image bytes, a PIL image, or an ``HxW``/``HxWxC`` array (C = 1, 3 or 4)."""

MAX_PIXELS = 40_000_000
"""Larger images are refused before decoding (a person crop is rarely above 1,000 x 1,000)."""

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
"""File suffixes read as images when a folder is given (case-insensitive)."""


def _describe(item: ImageInput) -> str:
    if isinstance(item, (str, Path)):
        return str(item)
    if isinstance(item, bytes):
        return f"{len(item)} bytes of upload"
    if isinstance(item, np.ndarray):
        return f"array {item.dtype} {item.shape}"
    return type(item).__name__


def _array_to_image(array: np.ndarray) -> Image.Image:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]  # [H, W, 1] -> [H, W]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"array {array.dtype} {array.shape}: expected HxW, HxWx1, HxWx3 or HxWx4 pixels")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"array of {array.dtype}: expected numbers (uint8 0..255 or float 0..1)")
        scale = 255.0 if np.issubdtype(array.dtype, np.floating) and float(np.nanmax(array, initial=0)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float64) * scale), 0, 255).round().astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array))


class TooManyPixels(ValueError):
    """An image whose header declares more pixels than allowed (found before decoding)."""


def to_rgb(item: ImageInput, *, max_pixels: int | None = None) -> Image.Image:
    """Open ``item`` as an RGB PIL image through :func:`unreid.data.decode.to_rgb_image` (alpha on white).

    Args:
        max_pixels: files and bytes whose header declares more pixels are refused before
            decoding (default :data:`MAX_PIXELS`).

    Raises:
        TooManyPixels: (a ``ValueError``) above ``max_pixels``.
        ValueError: naming the input when it is missing, not an image, or an array of
            an unusable shape.
    """
    if isinstance(item, np.ndarray):
        image = _array_to_image(item)
    elif isinstance(item, Image.Image):
        image = item
    elif isinstance(item, (str, Path, bytes)):
        source = io.BytesIO(item) if isinstance(item, bytes) else Path(item)
        try:
            with Image.open(source) as opened:
                limit = MAX_PIXELS if max_pixels is None else max_pixels
                if opened.size[0] * opened.size[1] > limit:
                    raise TooManyPixels(f"{_describe(item)}: {opened.size[0]} x {opened.size[1]} pixels is more than "
                                        f"{limit:,}; crop the person out first")
                opened.load()
                image = opened.copy()
        except TooManyPixels:
            raise
        except FileNotFoundError as error:
            raise ValueError(f"{_describe(item)}: image file not found; check the path") from error
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
            raise ValueError(
                f"{_describe(item)}: not a readable image ({error}); give a JPEG or PNG person crop"
            ) from error
    else:
        raise ValueError(f"cannot read a {type(item).__name__} as an image; give a path, bytes, PIL image or array")
    return to_rgb_image(image)


def load_pixels(item: ImageInput, *, height: int, width: int) -> np.ndarray:
    """``uint8 [3, height, width]`` RGB pixels of ``item``, resized with bilinear filtering."""
    rgb = to_rgb(item)
    if rgb.size[0] < 1 or rgb.size[1] < 1:
        raise ValueError(f"{_describe(item)}: empty image")
    return resized_pixels(rgb, height=height, width=width)


def list_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive), sorted; ``ValueError`` when there are none."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder; give a folder of *.jpg / *.png person crops")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        raise ValueError(f"{folder}: no *.jpg, *.jpeg, *.png, *.bmp or *.webp files here; check the path")
    return paths
