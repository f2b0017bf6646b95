"""Camera background scenes: brick wall, pavement, grass, gradient, shop front or road.

Each camera has one scene texture (cropped differently per image), which is a large part of
what makes images of one camera look alike regardless of the person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

SCENE_KINDS = ("brick", "pavement", "grass", "gradient", "shopfront", "road")


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Low-frequency noise in [-1, 1] of ``shape``, from a ``cells`` grid upsampled bicubically."""
    grid = rng.uniform(-1, 1, cells).astype(np.float32)
    image = Image.fromarray(grid).resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class _Canvas:
    """What every scene paints with: pixel coordinates, fine grain, coarse blotches and a horizon."""

    rng: np.random.Generator
    height: int
    width: int
    yy: np.ndarray  # [H, 1] row index
    xx: np.ndarray  # [1, W] column index
    grain: np.ndarray  # [H, W] per-pixel noise
    blotch: np.ndarray  # [H, W] low-frequency noise
    horizon: int  # first floor row

    def colour(self, base: tuple[float, float, float], spread: float = 25.0) -> np.ndarray:
        return np.clip(np.array(base, np.float32) + self.rng.normal(0, spread, 3), 0, 255).astype(np.float32)

    @staticmethod
    def paint(value: np.ndarray, *, shade: np.ndarray | float = 0.0) -> np.ndarray:
        return value[None, None, :] * (1.0 + np.asarray(shade, np.float32)[..., None])


_Layers = tuple[np.ndarray, np.ndarray, int]
"""``(above the horizon [H, W, 3], the floor [H, W, 3], horizon row)``."""


def _brick(c: _Canvas) -> _Layers:
    brick, mortar = c.colour((150, 75, 55)), c.colour((190, 185, 175), 10)
    bh = max(4, c.height // 16)
    row = (c.yy // bh).astype(np.int32)
    bw = bh * 2.5
    shifted = c.xx + (row % 2) * bw / 2
    cell = (row * 1000 + (shifted // bw)).astype(np.int64)
    cell_shade = (np.sin(cell * 12.9898) * 43758.5453) % 1.0 * 0.3 - 0.15
    is_mortar = ((c.yy % bh) < 1.2) | ((shifted % bw) < 1.2)
    top = np.where(is_mortar[..., None], c.paint(mortar), c.paint(brick, shade=cell_shade + 0.05 * c.grain))
    floor = c.paint(c.colour((120, 120, 115)), shade=0.08 * c.blotch + 0.04 * c.grain)
    return top, floor, c.horizon


def _pavement(c: _Canvas) -> _Layers:
    yy, xx, height, width, horizon = c.yy, c.xx, c.height, c.width, c.horizon
    top = c.paint(c.colour((175, 170, 160)), shade=0.12 * c.blotch + 0.03 * c.grain + 0.15 * (yy / height - 0.5))
    window = ((xx % (width / 5)) > width / 12) & ((yy % (height / 4)) > height / 10)
    top = np.where(window[..., None], c.paint(c.colour((70, 80, 95), 15), shade=0.1 * c.blotch), top)
    tile = max(5, width // 14)
    lines = ((xx + 0.6 * (yy - horizon)) % (tile * 2) < 1.5) | ((yy - horizon) % tile < 1.2)
    floor = np.where(lines[..., None], c.paint(c.colour((95, 95, 90), 10)),
                     c.paint(c.colour((165, 160, 150)), shade=0.06 * c.blotch + 0.05 * c.grain))
    return top, floor, horizon


def _grass(c: _Canvas) -> _Layers:
    top = c.paint(c.colour((40, 85, 35)),
                  shade=0.35 * _smooth_noise(c.rng, (c.height, c.width), (20, 40)) + 0.1 * c.grain)
    floor = c.paint(c.colour((85, 150, 55)), shade=0.2 * c.blotch + 0.18 * c.grain)
    return top, floor, int(c.height * c.rng.uniform(0.35, 0.5))  # a lower horizon: a lawn seen from above


def _gradient(c: _Canvas) -> _Layers:
    a, b = c.colour((200, 200, 215), 35), c.colour((90, 100, 120), 35)
    t = (c.yy / c.height)[..., None]
    top = (a[None, None] * (1 - t) + b[None, None] * t) * (1 + 0.05 * c.blotch[..., None])
    floor = c.paint(c.colour((140, 130, 120)), shade=0.05 * c.blotch + 0.02 * c.grain)
    return top, floor, c.horizon


def _shopfront(c: _Canvas) -> _Layers:
    panel = max(6, c.width // 9)
    index = (c.xx // panel).astype(np.int64)
    hues = c.rng.uniform(40, 230, (int(index.max()) + 1, 3)).astype(np.float32)
    top = hues[index[0]][None, :, :] * (1 + 0.08 * c.blotch[..., None])
    frame = (c.xx % panel) < 2
    top = np.where(frame[..., None], c.paint(c.colour((50, 50, 55), 10)), top)
    top = top * (1 + 0.03 * c.grain[..., None])
    floor = c.paint(c.colour((70, 65, 60), 15), shade=0.06 * c.blotch + 0.05 * c.grain)
    return top, floor, c.horizon


def _road(c: _Canvas) -> _Layers:
    yy, height, width = c.yy, c.height, c.width
    top = c.paint(c.colour((85, 85, 90), 10), shade=0.08 * c.blotch + 0.1 * c.grain)
    lane = np.abs(c.xx - width * c.rng.uniform(0.2, 0.8) - 0.3 * (yy - c.horizon)) < max(2, width // 40)
    top = np.where((lane & (yy % (height // 3) < height // 5))[..., None], c.paint(c.colour((225, 225, 215), 8)), top)
    return top, top, c.horizon


_PAINTERS: dict[str, Callable[[_Canvas], _Layers]] = {
    "brick": _brick, "pavement": _pavement, "grass": _grass, "gradient": _gradient, "shopfront": _shopfront,
    "road": _road,
}


def draw_scene(kind: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A camera's background texture of ``height`` x ``width`` (RGB float, 0-255)."""
    yy = np.arange(height, dtype=np.float32)[:, None]
    xx = np.arange(width, dtype=np.float32)[None, :]
    grain = rng.normal(0, 1, (height, width)).astype(np.float32)
    blotch = _smooth_noise(rng, (height, width), (6, 12))
    horizon = int(height * rng.uniform(0.5, 0.75))
    painter = _PAINTERS.get(kind)
    if painter is None:  # pragma: no cover - the scene list is internal
        raise ValueError(f"unknown scene kind {kind!r}; valid: {', '.join(SCENE_KINDS)}")
    top, floor, horizon = painter(_Canvas(rng=rng, height=height, width=width, yy=yy, xx=xx, grain=grain,
                                          blotch=blotch, horizon=horizon))
    texture = np.where((yy >= horizon)[..., None], floor, top)
    return np.clip(texture, 0, 255).astype(np.float32)
