"""Identity appearance: the clothing, hair, skin, bag and body proportions of one person.

What identifies a synthetic person. Palette entries are shared by many identities with
small colour shifts, so colour alone is ambiguous and the model has to use the pattern,
sleeve and leg length, hair style, hat, bag and proportions too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

_UPPER_PALETTE = np.array([
    (190, 30, 35), (120, 20, 30), (230, 120, 30), (225, 200, 50), (40, 140, 60), (30, 80, 40),
    (110, 170, 220), (35, 70, 170), (25, 30, 80), (110, 50, 140), (230, 130, 170), (230, 230, 225),
    (170, 170, 170), (70, 70, 75), (25, 25, 28), (110, 70, 40), (200, 180, 140), (30, 130, 130),
], dtype=np.float32)
_LOWER_PALETTE = np.array([
    (50, 70, 120), (30, 40, 70), (25, 25, 30), (70, 70, 75), (130, 130, 130), (170, 150, 110),
    (90, 60, 40), (220, 220, 215), (90, 95, 50), (150, 30, 35), (190, 170, 130),
], dtype=np.float32)
_LOWER_WEIGHTS = np.array([4, 3, 4, 3, 2, 2, 1, 1, 1, 0.5, 1], dtype=np.float64)
_HAIR_PALETTE = np.array([
    (20, 18, 18), (55, 35, 25), (100, 65, 40), (200, 170, 100), (150, 150, 150), (140, 60, 30),
], dtype=np.float32)
_HAIR_WEIGHTS = np.array([5, 4, 2, 1.5, 1, 0.5], dtype=np.float64)
_SHOE_PALETTE = np.array([(20, 20, 20), (235, 235, 235), (90, 60, 35), (120, 120, 125), (40, 50, 110)],
                         dtype=np.float32)
_BAG_PALETTE = np.array([
    (20, 20, 22), (90, 55, 30), (170, 30, 40), (40, 60, 140), (110, 110, 115), (220, 140, 170),
    (30, 100, 60), (200, 170, 60),
], dtype=np.float32)
_SKIN_LIGHT = np.array((250, 215, 185), dtype=np.float32)
_SKIN_DARK = np.array((85, 55, 38), dtype=np.float32)

_PATTERNS = ("plain", "hstripes", "vstripes", "checks", "logo")
_PATTERN_WEIGHTS = np.array([0.45, 0.15, 0.12, 0.1, 0.18])


@dataclass(frozen=True, eq=False)
class Person:
    """How one identity looks in every image (colours are RGB float32, 0-255)."""

    upper: np.ndarray
    upper2: np.ndarray
    pattern: str
    period: float  # stripe period as a fraction of the person height
    long_sleeves: bool
    lower: np.ndarray
    lower_style: str  # trousers | shorts | skirt
    skin: np.ndarray
    hair: np.ndarray
    hair_style: str  # short | long | bun | bald
    hat: np.ndarray | None
    shoes: np.ndarray
    bag: str  # none | backpack | handbag
    bag_colour: np.ndarray
    bag_side: int  # -1 left, +1 right (as seen from the front)
    stature: float  # relative height
    build: float  # shoulder half-width / person height
    legs: float  # leg length / person height
    head: float  # head radius / person height


def _near(palette: np.ndarray, rng: np.random.Generator, *, weights: np.ndarray | None = None,
          spread: float = 10.0) -> np.ndarray:
    p = None if weights is None else weights / weights.sum()
    colour = palette[rng.choice(len(palette), p=p)] + rng.normal(0.0, spread, 3)
    return np.clip(colour, 0, 255).astype(np.float32)


def draw_person(rng: np.random.Generator) -> Person:
    """Draw a random appearance (identities use their own stream, passers-by the image's)."""
    upper = _near(_UPPER_PALETTE, rng)
    upper2 = _near(_UPPER_PALETTE, rng)
    while float(np.abs(upper2 - upper).sum()) < 120:
        upper2 = _near(_UPPER_PALETTE, rng)
    hair_style = str(rng.choice(["short", "long", "bun", "bald"], p=[0.5, 0.3, 0.12, 0.08]))
    bag = str(rng.choice(["none", "backpack", "handbag"], p=[0.5, 0.3, 0.2]))
    return Person(
        upper=upper, upper2=upper2,
        pattern=str(rng.choice(_PATTERNS, p=_PATTERN_WEIGHTS)), period=float(rng.uniform(0.025, 0.05)),
        long_sleeves=bool(rng.random() < 0.55),
        lower=_near(_LOWER_PALETTE, rng, weights=_LOWER_WEIGHTS),
        lower_style=str(rng.choice(["trousers", "shorts", "skirt"], p=[0.7, 0.17, 0.13])),
        skin=(_SKIN_LIGHT + (_SKIN_DARK - _SKIN_LIGHT) * rng.beta(1.5, 2.5) + rng.normal(0, 6, 3)).astype(np.float32),
        hair=_near(_HAIR_PALETTE, rng, weights=_HAIR_WEIGHTS, spread=6.0), hair_style=hair_style,
        hat=_near(_BAG_PALETTE, rng) if rng.random() < 0.12 else None,
        shoes=_near(_SHOE_PALETTE, rng, spread=8.0),
        bag=bag, bag_colour=_near(_BAG_PALETTE, rng), bag_side=int(rng.choice([-1, 1])),
        stature=float(rng.uniform(0.92, 1.04)), build=float(rng.uniform(0.12, 0.16)),
        legs=float(rng.uniform(0.44, 0.52)), head=float(rng.uniform(0.055, 0.068)),
    )
