"""The one image decoder of unreid: training, ``extract``, ``search`` and ``serve`` see the same pixels.

Pillow's ``convert("RGB")`` is wrong for some common files: a 16-bit grayscale PNG
(mode ``I;16`` or ``I``) is clipped at 255, so a mid-grey crop turns almost white, and
an RGBA crop loses its alpha, showing whatever colour the transparent pixels happen to
hold. :func:`to_rgb_image` maps every mode to 8-bit RGB by its value range, composites
transparency on white, and applies the EXIF orientation. Only numpy and Pillow are
used, so the ONNX path stays free of torch.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

BACKGROUND = (255, 255, 255)
"""Transparent pixels are composited on this colour."""

_WIDE_GRAY = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def _wide_gray_to_l(image: Image.Image) -> Image.Image:
    """16- or 32-bit integer grayscale to 8 bits, by the 16-bit range (0..65535 -> 0..255)."""
    values = np.asarray(image, dtype=np.float64)  # [H, W]
    top = 65535.0 if float(values.max(initial=0)) <= 65535 else float(values.max())
    return Image.fromarray(np.clip(np.round(values * (255.0 / top)), 0, 255).astype(np.uint8), mode="L")


def _float_gray_to_l(image: Image.Image) -> Image.Image:
    """Float grayscale (mode ``F``): 0..1 when it fits, else 0..255."""
    values = np.nan_to_num(np.asarray(image, dtype=np.float64))  # [H, W]
    scale = 255.0 if float(values.max(initial=0)) <= 1.0 else 1.0
    return Image.fromarray(np.clip(np.round(values * scale), 0, 255).astype(np.uint8), mode="L")


def to_rgb_image(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit RGB: EXIF orientation applied, wide grayscale scaled, transparency on white."""
    try:
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, SyntaxError):  # a damaged EXIF block: keep the pixels as stored
        pass
    if image.mode in _WIDE_GRAY:
        image = _wide_gray_to_l(image)
    elif image.mode == "F":
        image = _float_gray_to_l(image)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode == "L" and "transparency" in image.info:
        return to_rgb_image(image.convert("LA"))
    return image.convert("RGB")


def resized_pixels(image: Image.Image, *, height: int, width: int) -> np.ndarray:
    """``uint8 [3, height, width]`` RGB pixels of ``image`` (any mode), resized with bilinear filtering."""
    rgb = to_rgb_image(image)
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1))  # [H, W, 3] -> [3, H, W]
