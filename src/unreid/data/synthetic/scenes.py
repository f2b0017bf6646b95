"""Camera background scenes: brick wall, pavement, grass, gradient, shop front or road.

Each camera has one scene texture (cropped differently per image), which is a large part of
what makes images of one camera look alike regardless of the person.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

SCENE_KINDS = ("brick", "pavement", "grass", "gradient", "shopfront", "road")


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Low-frequency noise in [-1, 1] of ``shape``, from a ``cells`` grid upsampled bicubically."""
    grid = rng.uniform(-1, 1, cells).astype(np.float32)
    image = Image.fromarray(grid).resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def draw_scene(kind: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A camera's background texture of ``height`` x ``width`` (RGB float, 0-255)."""
    yy = np.arange(height, dtype=np.float32)[:, None]
    xx = np.arange(width, dtype=np.float32)[None, :]
    grain = rng.normal(0, 1, (height, width)).astype(np.float32)
    blotch = _smooth_noise(rng, (height, width), (6, 12))
    horizon = int(height * rng.uniform(0.5, 0.75))

    def colour(base: tuple[float, float, float], spread: float = 25.0) -> np.ndarray:
        return np.clip(np.array(base, np.float32) + rng.normal(0, spread, 3), 0, 255).astype(np.float32)

    def paint(value: np.ndarray, *, shade: np.ndarray | float = 0.0) -> np.ndarray:
        return value[None, None, :] * (1.0 + np.asarray(shade, np.float32)[..., None])

    if kind == "brick":
        brick, mortar = colour((150, 75, 55)), colour((190, 185, 175), 10)
        bh = max(4, height // 16)
        row = (yy // bh).astype(np.int32)
        bw = bh * 2.5
        shifted = xx + (row % 2) * bw / 2
        cell = (row * 1000 + (shifted // bw)).astype(np.int64)
        cell_shade = (np.sin(cell * 12.9898) * 43758.5453) % 1.0 * 0.3 - 0.15
        is_mortar = ((yy % bh) < 1.2) | ((shifted % bw) < 1.2)
        top = np.where(is_mortar[..., None], paint(mortar), paint(brick, shade=cell_shade + 0.05 * grain))
        floor = paint(colour((120, 120, 115)), shade=0.08 * blotch + 0.04 * grain)
    elif kind == "pavement":
        top = paint(colour((175, 170, 160)), shade=0.12 * blotch + 0.03 * grain + 0.15 * (yy / height - 0.5))
        window = ((xx % (width / 5)) > width / 12) & ((yy % (height / 4)) > height / 10)
        top = np.where(window[..., None], paint(colour((70, 80, 95), 15), shade=0.1 * blotch), top)
        tile = max(5, width // 14)
        lines = ((xx + 0.6 * (yy - horizon)) % (tile * 2) < 1.5) | ((yy - horizon) % tile < 1.2)
        floor = np.where(lines[..., None], paint(colour((95, 95, 90), 10)),
                         paint(colour((165, 160, 150)), shade=0.06 * blotch + 0.05 * grain))
    elif kind == "grass":
        top = paint(colour((40, 85, 35)), shade=0.35 * _smooth_noise(rng, (height, width), (20, 40)) + 0.1 * grain)
        floor = paint(colour((85, 150, 55)), shade=0.2 * blotch + 0.18 * grain)
        horizon = int(height * rng.uniform(0.35, 0.5))
    elif kind == "gradient":
        a, b = colour((200, 200, 215), 35), colour((90, 100, 120), 35)
        t = (yy / height)[..., None]
        top = (a[None, None] * (1 - t) + b[None, None] * t) * (1 + 0.05 * blotch[..., None])
        floor = paint(colour((140, 130, 120)), shade=0.05 * blotch + 0.02 * grain)
    elif kind == "shopfront":
        panel = max(6, width // 9)
        index = (xx // panel).astype(np.int64)
        hues = rng.uniform(40, 230, (int(index.max()) + 1, 3)).astype(np.float32)
        top = hues[index[0]][None, :, :] * (1 + 0.08 * blotch[..., None])
        frame = (xx % panel) < 2
        top = np.where(frame[..., None], paint(colour((50, 50, 55), 10)), top)
        top = top * (1 + 0.03 * grain[..., None])
        floor = paint(colour((70, 65, 60), 15), shade=0.06 * blotch + 0.05 * grain)
    elif kind == "road":
        top = paint(colour((85, 85, 90), 10), shade=0.08 * blotch + 0.1 * grain)
        lane = np.abs(xx - width * rng.uniform(0.2, 0.8) - 0.3 * (yy - horizon)) < max(2, width // 40)
        top = np.where((lane & (yy % (height // 3) < height // 5))[..., None], paint(colour((225, 225, 215), 8)), top)
        floor = top
    else:  # pragma: no cover - the scene list is internal
        raise ValueError(f"unknown scene kind {kind!r}")
    texture = np.where((yy >= horizon)[..., None], floor, top)
    return np.clip(texture, 0, 255).astype(np.float32)
