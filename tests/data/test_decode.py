"""One decoder: training (ImageBank's ``read_image``) and inference (``load_pixels``) see the same, correct pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unreid.data.image_bank import read_image
from unreid.retrieval.image_input import load_pixels

H, W = 8, 4


def _save(image: Image.Image, path: Path, **options: object) -> Path:
    image.save(path, **options)
    return path


def _both(path: Path) -> np.ndarray:
    training = read_image(path, height=H, width=W)
    inference = load_pixels(path, height=H, width=W)
    served = load_pixels(path.read_bytes(), height=H, width=W)
    assert training.dtype == np.uint8 and training.shape == (3, H, W)
    assert np.array_equal(training, inference) and np.array_equal(training, served)
    return training


def test_16_bit_grayscale_keeps_its_brightness(tmp_path: Path) -> None:
    values = np.full((H, W), 32768, dtype=np.uint16)  # mid grey in 16 bits
    path = _save(Image.fromarray(values), tmp_path / "g16.png")
    with Image.open(path) as opened:
        assert opened.mode.startswith("I")
    pixels = _both(path)
    assert np.all(np.abs(pixels.astype(int) - 128) <= 1)  # not clipped to white


def test_rgba_is_composited_on_white_everywhere(tmp_path: Path) -> None:
    rgba = np.zeros((H, W, 4), dtype=np.uint8)
    rgba[: H // 2] = (0, 0, 0, 0)  # fully transparent black: shows white
    rgba[H // 2 :] = (255, 0, 0, 128)  # half-transparent red
    pixels = _both(_save(Image.fromarray(rgba, mode="RGBA"), tmp_path / "a.png"))
    assert np.all(pixels[:, : H // 2] == 255)
    assert np.all(np.abs(pixels[:, H // 2 :].reshape(3, -1).T - (255, 127, 127)) <= 1)


@pytest.mark.parametrize("mode, suffix", [("RGB", ".jpg"), ("L", ".png"), ("LA", ".png"), ("P", ".png"),
                                          ("CMYK", ".jpg"), ("1", ".png")])
def test_common_modes_agree(mode: str, suffix: str, tmp_path: Path) -> None:
    base = Image.fromarray(np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8))
    image = base.convert(mode)
    if mode == "P":
        image.info["transparency"] = 0
    pixels = _both(_save(image, tmp_path / f"x{suffix}"))
    if mode in ("L", "1"):
        assert np.array_equal(pixels[0], pixels[1]) and np.array_equal(pixels[1], pixels[2])


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    array = np.zeros((W, H, 3), dtype=np.uint8)  # stored landscape, 4 x 8
    array[:, : H // 2] = 255  # left half white
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = _save(image, tmp_path / "rot.png", exif=exif.tobytes())
    pixels = _both(path)  # displayed portrait, 8 x 4: the white half is now on top
    assert pixels[:, : H // 2].mean() > 200 and pixels[:, H // 2 :].mean() < 50
