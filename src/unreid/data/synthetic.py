"""Built-in synthetic pedestrians: a small, procedurally drawn re-ID data set.

:func:`make_synthetic_pedestrians` draws person crops with numpy and PIL and writes them
in the Market-1501 layout (see :mod:`unreid.data.market1501`), so the ordinary parser
reads them::

    root/bounding_box_train/   the first half of the identities (all their images)
    root/query/                one image per (test identity, camera)
    root/bounding_box_test/    the other test images, distractors (0000) and junk (-1)
    root/.complete             the generator version and config as JSON, written last

What makes it a re-ID problem rather than a colour lookup:

* **Identity** is the clothing (upper and lower colours from a palette whose entries are
  shared by many identities with small shifts, so colour alone is ambiguous), an upper
  pattern (plain, stripes, checks or a chest logo), sleeve and leg length, hair colour and
  style or a hat, skin tone, shoes, an optional backpack or handbag, and body proportions.
* **Camera** is a background scene (wall, pavement, grass, gradient, shop front, road),
  a strong colour cast (per-channel gain whose tints are spread around the colour wheel,
  so no two cameras share one, plus an offset and a gamma), blur, sensor noise, JPEG
  quality, a typical scale, a dominant viewpoint (front, back or side: a backpack is only
  seen from behind or the side, a chest logo only from the front) and how often something
  (a pole, a low obstacle, another pedestrian) occludes the person.
* **Each image** jitters the pose (arm swing, stride), position, scale and brightness.

The camera effects dominate low-level image statistics, so features of an untrained
network group images by camera, while a model that learns to discount the camera can
recover identity. ``scripts/check_synthetic_difficulty.py`` measures this: with the
default config an untrained ResNet-18 gets about 2% cross-camera mAP (chance: about 1%)
and KMeans on its features groups the images by camera, while a hand-made colour
descriptor that discounts the cast gets about 15-25%. Every random draw comes from a :class:`numpy.random.SeedSequence`
keyed by the seed and the item, so the same config gives the same bytes.

Test identities get at least two images in at least two of their cameras, so that every
query has a gallery match in another camera (the Market-1501 evaluation protocol ignores
same-camera matches).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from unreid.data.market1501 import SUBSET_FOLDERS

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 2
"""Bumped whenever the drawing changes, so cached sets made by older code are redrawn."""

MARKER_NAME = ".complete"
"""File written last into a finished data set root (holds the version and config)."""

# Random stream tags: each kind of draw has its own seed sequence branch.
_STREAM_CAMERA, _STREAM_PERSON, _STREAM_LAYOUT, _STREAM_IMAGE = 1, 2, 3, 4

# Part labels of the person mask.
_BG, _SKIN, _HAIR, _UPPER, _LOWER, _SHOES, _BAG, _LOGO, _HAT = range(9)
_NUM_LABELS = 9
_FRONT, _BACK, _SIDE = 0, 1, 2

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
_BACKGROUNDS = ("brick", "pavement", "grass", "gradient", "shopfront", "road")


@dataclass(frozen=True)
class SyntheticConfig:
    """What to draw.

    Attributes:
        num_identities: identities in total; the first ``num_identities // 2`` form the
            training set, the rest the query/gallery set.
        num_cameras: cameras (each with its own scene, colour cast, blur, noise and viewpoint).
        images_per_identity_camera: ``(min, max)`` images of an identity in each camera that
            sees it (test identities get at least two in two of their cameras).
        cameras_per_identity: ``(min, max)`` cameras that see an identity; at least 2.
        height: image height in pixels.
        width: image width in pixels.
        seed: random seed; the same config gives byte-identical files.
        camera_strength: how strongly the cameras' colours differ, in [0, 1]. 1 gives full
            colour casts and coloured scenes (an untrained ResNet-18 gets about 2% mAP and
            learning from scratch on a CPU budget cannot escape clusters of one camera each);
            0 removes the casts and greys the scenes (cameras still differ in layout,
            brightness, blur, noise, viewpoint, scale and occlusion; untrained mAP about 9%).
            The default 0 still makes untrained features group by camera slightly more
            than by person (AMI 0.19 vs 0.16) and is what the method learns from scratch
            on 2 CPU cores; 0.2 (AMI 0.26 vs 0.12) and 1 are harder variants.
    """

    num_identities: int = 120
    num_cameras: int = 6
    images_per_identity_camera: tuple[int, int] = (1, 4)
    cameras_per_identity: tuple[int, int] = (2, 5)
    height: int = 128
    width: int = 64
    seed: int = 0
    camera_strength: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.camera_strength <= 1.0:
            raise ValueError(f"SyntheticConfig.camera_strength={self.camera_strength}: must lie in [0, 1]")
        for name in ("images_per_identity_camera", "cameras_per_identity"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"SyntheticConfig.{name} must be a (min, max) pair, got {value!r}")
            object.__setattr__(self, name, (int(value[0]), int(value[1])))
        if self.num_identities < 2:
            raise ValueError(
                f"SyntheticConfig.num_identities={self.num_identities}: need at least 2 "
                "(half are training identities, half test identities)"
            )
        if self.num_cameras < 2:
            raise ValueError(
                f"SyntheticConfig.num_cameras={self.num_cameras}: need at least 2 (cross-camera matching)"
            )
        low, high = self.images_per_identity_camera
        if not 1 <= low <= high:
            raise ValueError(
                f"SyntheticConfig.images_per_identity_camera={self.images_per_identity_camera}: "
                "need 1 <= min <= max"
            )
        low, high = self.cameras_per_identity
        if not 2 <= low <= high:
            raise ValueError(
                f"SyntheticConfig.cameras_per_identity={self.cameras_per_identity}: need 2 <= min <= max"
            )
        if high > self.num_cameras:
            raise ValueError(
                f"SyntheticConfig.cameras_per_identity={self.cameras_per_identity}: max exceeds "
                f"num_cameras={self.num_cameras}"
            )
        if self.height < 32 or self.width < 16:
            raise ValueError(
                f"SyntheticConfig.height={self.height}, width={self.width}: need height >= 32 and width >= 16"
            )
        if self.seed < 0:
            raise ValueError(f"SyntheticConfig.seed={self.seed}: must be >= 0")

    def to_json(self) -> dict[str, object]:
        """The config as a JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


@dataclass(frozen=True, eq=False)
class _Person:
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


@dataclass(frozen=True, eq=False)
class _Camera:
    scene: np.ndarray  # (H * 5 // 4, 3 * W, 3) float32 texture, cropped per image
    gain: np.ndarray
    offset: np.ndarray
    gamma: float
    blur: float
    noise: float
    jpeg_quality: int
    views: np.ndarray  # probabilities of front, back, side
    scale: float
    occlusion: float
    prop_colour: np.ndarray


@dataclass(frozen=True, eq=False)
class _Job:
    subset: str
    file_name: str
    person: _Person | None  # None: junk crop without a whole person
    camera: int
    key: int


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def _near(palette: np.ndarray, rng: np.random.Generator, *, weights: np.ndarray | None = None,
          spread: float = 10.0) -> np.ndarray:
    p = None if weights is None else weights / weights.sum()
    colour = palette[rng.choice(len(palette), p=p)] + rng.normal(0.0, spread, 3)
    return np.clip(colour, 0, 255).astype(np.float32)


def _draw_person(rng: np.random.Generator) -> _Person:
    upper = _near(_UPPER_PALETTE, rng)
    upper2 = _near(_UPPER_PALETTE, rng)
    while float(np.abs(upper2 - upper).sum()) < 120:
        upper2 = _near(_UPPER_PALETTE, rng)
    hair_style = str(rng.choice(["short", "long", "bun", "bald"], p=[0.5, 0.3, 0.12, 0.08]))
    bag = str(rng.choice(["none", "backpack", "handbag"], p=[0.5, 0.3, 0.2]))
    return _Person(
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


# ---------------------------------------------------------------- scenes


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, int]) -> np.ndarray:
    """Low-frequency noise in [-1, 1] of ``shape``, from a ``cells`` grid upsampled bicubically."""
    grid = rng.uniform(-1, 1, cells).astype(np.float32)
    image = Image.fromarray(grid).resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def _scene(kind: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
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


def _draw_cameras(config: SyntheticConfig) -> list[_Camera]:
    rng = _rng(config.seed, _STREAM_CAMERA)
    kinds = [_BACKGROUNDS[i % len(_BACKGROUNDS)] for i in rng.permutation(max(config.num_cameras, len(_BACKGROUNDS)))]
    # Colour casts: tint hues spread evenly around the colour wheel (in random order), so
    # no two cameras share a cast however the seed falls.
    slots = rng.permutation(config.num_cameras)
    phase = rng.uniform(0, 2 * np.pi)
    channels = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])
    cameras = []
    for index in range(config.num_cameras):
        cam_rng = _rng(config.seed, _STREAM_CAMERA, index)
        hue = phase + 2 * np.pi * (slots[index] + cam_rng.uniform(-0.2, 0.2)) / config.num_cameras
        gain = cam_rng.uniform(0.8, 1.2) * (1 + cam_rng.uniform(0.25, 0.36) * np.cos(hue - channels))
        offset = cam_rng.uniform(5, 20) * np.cos(cam_rng.uniform(0, 2 * np.pi) - channels)
        scene = _scene(kinds[index], cam_rng, config.height * 5 // 4, config.width * 3)
        gamma = float(cam_rng.uniform(0.75, 1.3))
        strength = config.camera_strength
        views = np.full(3, 0.15)
        views[index % 3] = 0.7
        cameras.append(_Camera(
            scene=(strength * scene + (1 - strength) * scene.mean(axis=2, keepdims=True)).astype(np.float32),
            gain=(1 + strength * (gain - 1)).astype(np.float32),
            offset=(strength * offset).astype(np.float32),
            gamma=1 + strength * (gamma - 1),
            blur=float(cam_rng.uniform(0.0, 1.4)),
            noise=float(cam_rng.uniform(2.0, 10.0)),
            jpeg_quality=int(cam_rng.integers(70, 96)),
            views=views,
            scale=float(cam_rng.uniform(0.8, 0.94)),
            occlusion=float(cam_rng.uniform(0.05, 0.3)),
            prop_colour=cam_rng.uniform(30, 220, 3).astype(np.float32),
        ))
    return cameras


# ---------------------------------------------------------------- people


def _limb(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
          width: float, label: int) -> None:
    draw.line([start, end], fill=label, width=max(1, round(width)))
    r = width / 2
    for x, y in (start, end):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=label)


def _along(start: tuple[float, float], end: tuple[float, float], t: float) -> tuple[float, float]:
    return start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t


def _render_person(person: _Person, rng: np.random.Generator, *, size: tuple[int, int], view: int,
                   scale: float, centre_x: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``person`` on a transparent canvas of ``size`` = (H, W) at twice the resolution.

    Returns:
        ``(premultiplied RGB, alpha)`` at ``size``, float32, antialiased by 2x2 averaging.
    """
    height, width = size
    h2, w2 = 2 * height, 2 * width
    ph = scale * person.stature * h2
    top2, cx = 2 * top, 2 * centre_x
    facing = int(rng.choice([-1, 1]))  # side view: which way the person walks
    sw = person.build * ph * (0.62 if view == _SIDE else 1.0)
    hw = sw * (0.9 if view == _SIDE else 0.8)
    rh = person.head * ph
    shoulder = top2 + 2 * rh + 0.025 * ph
    hip = top2 + (1 - person.legs) * ph
    foot = top2 + ph
    label = Image.new("L", (w2, h2), _BG)
    draw = ImageDraw.Draw(label)

    # Arms: (shoulder, hand) per side; the far arm in a side view is drawn behind the torso.
    arm_w, arm_len = 0.06 * ph, 0.36 * ph
    arms = []
    for side in (-1, 1):
        if view == _SIDE:
            angle = np.deg2rad(rng.uniform(-28, 28)) * side
            base = (cx + 0.15 * sw * facing, shoulder + arm_w / 2)
            hand = (base[0] + facing * arm_len * np.sin(angle), base[1] + arm_len * np.cos(angle))
        else:
            angle = np.deg2rad(rng.uniform(4, 14))
            base = (cx + side * (sw - arm_w * 0.45), shoulder + arm_w / 2)
            hand = (base[0] + side * arm_len * np.sin(angle), base[1] + arm_len * np.cos(angle))
        arms.append((base, hand))

    def draw_arm(base: tuple[float, float], hand: tuple[float, float]) -> None:
        _limb(draw, base, hand, arm_w, _SKIN)
        _limb(draw, base, _along(base, hand, 0.92 if person.long_sleeves else 0.38), arm_w * 1.08, _UPPER)

    # Legs.
    leg_w, shoe_h = 0.085 * ph, 0.025 * ph
    stride = rng.uniform(0.04, 0.11) * ph if view == _SIDE else rng.uniform(0.0, 0.025) * ph
    legs = []
    for side in (-1, 1):
        hip_x = cx + (0.15 * hw * side if view == _SIDE else 0.5 * hw * side)
        foot_x = hip_x + side * stride
        legs.append(((hip_x, hip), (foot_x, foot - shoe_h)))

    backpack_behind = person.bag == "backpack" and view == _SIDE
    if backpack_behind:
        bx = cx - facing * (sw + 0.04 * ph)
        draw.rounded_rectangle([min(bx, cx), shoulder + 0.03 * ph, max(bx, cx), shoulder + 0.27 * ph],
                               radius=0.02 * ph, fill=_BAG)
    if view == _SIDE:
        draw_arm(*arms[0])
    for start, end in legs:
        _limb(draw, start, end, leg_w, _SKIN)
        cover = {"trousers": 1.0, "shorts": 0.42, "skirt": 0.0}[person.lower_style]
        if cover > 0:
            _limb(draw, start, _along(start, end, cover), leg_w * 1.05, _LOWER)
        sx = end[0] + (facing * 0.025 * ph if view == _SIDE else 0.0)
        half = 0.05 * ph if view == _SIDE else 0.035 * ph
        draw.ellipse([sx - half, end[1] - shoe_h * 0.2, sx + half, foot + shoe_h * 0.4], fill=_SHOES)
    waist = hip - 0.04 * ph
    if person.lower_style == "skirt":
        skirt_bottom = hip + 0.55 * (foot - hip) * 0.6
        draw.polygon([(cx - hw, waist), (cx + hw, waist), (cx + hw * 1.5, skirt_bottom), (cx - hw * 1.5, skirt_bottom)],
                     fill=_LOWER)
    else:
        draw.rectangle([cx - hw - leg_w * 0.1, waist, cx + hw + leg_w * 0.1, hip + 0.03 * ph], fill=_LOWER)
    # Neck and torso.
    draw.rectangle([cx - 0.35 * rh, top2 + 1.6 * rh, cx + 0.35 * rh, shoulder + 0.02 * ph], fill=_SKIN)
    draw.polygon([
        (cx - sw, shoulder + 0.035 * ph), (cx - sw * 0.75, shoulder), (cx + sw * 0.75, shoulder),
        (cx + sw, shoulder + 0.035 * ph), (cx + hw * 1.05, hip - 0.02 * ph), (cx - hw * 1.05, hip - 0.02 * ph),
    ], fill=_UPPER)
    if person.pattern == "logo" and view == _FRONT:
        lw = 0.45 * sw
        draw.rectangle([cx - lw, shoulder + 0.06 * ph, cx + lw, shoulder + 0.06 * ph + 1.2 * lw], fill=_LOGO)
    if person.bag == "backpack" and view == _BACK:
        draw.rounded_rectangle([cx - 0.7 * sw, shoulder + 0.03 * ph, cx + 0.7 * sw, shoulder + 0.27 * ph],
                               radius=0.02 * ph, fill=_BAG)
    if person.bag == "backpack" and view == _FRONT:
        for side in (-1, 1):
            x = cx + side * 0.55 * sw
            draw.line([(x, shoulder), (x + side * 0.05 * sw, shoulder + 0.17 * ph)], fill=_BAG,
                      width=max(1, round(0.018 * ph)))
    # Hair behind the head (long hair, bun), head, hair cap or hat.
    hx = cx + (0.2 * rh * facing if view == _SIDE else 0.0)
    if person.hair_style == "long":
        length = shoulder + (0.12 if view == _BACK else 0.05) * ph
        if view == _FRONT:  # strands either side of the face, over the shoulders
            for side in (-1, 1):
                draw.rounded_rectangle([hx + side * 0.55 * rh - 0.5 * rh, top2 + 0.6 * rh,
                                        hx + side * 0.55 * rh + 0.5 * rh, length], radius=0.4 * rh, fill=_HAIR)
        else:
            back = -facing * 0.3 * rh if view == _SIDE else 0.0
            draw.rounded_rectangle([hx + back - 1.05 * rh, top2 + rh, hx + back + 1.05 * rh, length],
                                   radius=0.5 * rh, fill=_HAIR)
    draw.ellipse([hx - 0.85 * rh, top2, hx + 0.85 * rh, top2 + 2 * rh], fill=_SKIN)
    if person.hat is not None:
        draw.pieslice([hx - 0.95 * rh, top2 - 0.15 * rh, hx + 0.95 * rh, top2 + 1.7 * rh], 180, 360, fill=_HAT)
        draw.rectangle([hx - 1.1 * rh, top2 + 0.7 * rh, hx + 1.1 * rh, top2 + 0.9 * rh], fill=_HAT)
    elif person.hair_style != "bald" or view == _BACK:
        if view == _BACK:
            draw.ellipse([hx - 0.9 * rh, top2 - 0.05 * rh, hx + 0.9 * rh, top2 + 1.9 * rh], fill=_HAIR)
        elif view == _SIDE:
            draw.pieslice([hx - 0.92 * rh, top2 - 0.08 * rh, hx + 0.92 * rh, top2 + 1.9 * rh],
                          90 if facing > 0 else -90, 360 if facing > 0 else 180, fill=_HAIR)
        else:
            draw.pieslice([hx - 0.92 * rh, top2 - 0.08 * rh, hx + 0.92 * rh, top2 + 1.5 * rh], 180, 360,
                          fill=_HAIR)
        if person.hair_style == "bun" and view != _FRONT:
            bx = hx - facing * 0.9 * rh if view == _SIDE else hx
            by = top2 + (0.55 if view == _SIDE else 0.25) * rh
            draw.ellipse([bx - 0.4 * rh, by - 0.4 * rh, bx + 0.4 * rh, by + 0.4 * rh], fill=_HAIR)
    # Near arm(s), then a handbag on top.
    for base, hand in arms[1:] if view == _SIDE else arms:
        draw_arm(base, hand)
    if person.bag == "handbag":
        side = person.bag_side * (-1 if view == _BACK else 1)
        bx = cx + side * (sw + 0.02 * ph) if view != _SIDE else cx - facing * 0.1 * sw
        by = hip - 0.02 * ph
        draw.line([(cx + side * 0.6 * sw, shoulder), (bx, by)], fill=_BAG, width=max(1, round(0.012 * ph)))
        draw.rectangle([bx - 0.05 * ph, by, bx + 0.05 * ph, by + 0.09 * ph], fill=_BAG)

    parts = np.asarray(label)
    lut = np.zeros((_NUM_LABELS, 3), np.float32)
    lut[_SKIN], lut[_HAIR], lut[_UPPER], lut[_LOWER] = person.skin, person.hair, person.upper, person.lower
    lut[_SHOES], lut[_BAG], lut[_LOGO] = person.shoes, person.bag_colour, person.upper2
    lut[_HAT] = person.hat if person.hat is not None else 0
    rgb = lut[parts]
    yy = np.arange(h2, dtype=np.float32)[:, None]
    xx = np.arange(w2, dtype=np.float32)[None, :]
    if person.pattern in ("hstripes", "vstripes", "checks"):
        period = max(2.0, person.period * ph)
        across = ((yy - shoulder) // period) % 2 == 1
        down = ((xx - cx) // period) % 2 == 1
        mask = {"hstripes": across, "vstripes": down, "checks": across ^ down}[person.pattern]
        rgb = np.where(((parts == _UPPER) & mask)[..., None], person.upper2[None, None, :], rgb)
    shade = (1.05 - 0.35 * np.clip(((xx - cx) / (sw * 1.4)) ** 2, 0, 1)) * (1.04 - 0.12 * (yy - top2) / ph)
    rgb = rgb * shade[..., None]
    alpha = (parts > _BG).astype(np.float32)
    rgb = rgb * alpha[..., None]
    rgb = rgb.reshape(height, 2, width, 2, 3).mean(axis=(1, 3))
    alpha = alpha.reshape(height, 2, width, 2).mean(axis=(1, 3))
    return rgb, alpha


def _over(base: np.ndarray, layer: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    rgb, alpha = layer
    return rgb + (1.0 - alpha[..., None]) * base


def _render_image(job: _Job, camera: _Camera, config: SyntheticConfig) -> Image.Image:
    rng = _rng(config.seed, _STREAM_IMAGE, job.key)
    height, width = config.height, config.width
    sh, sw = camera.scene.shape[:2]
    y0, x0 = int(rng.integers(0, sh - height + 1)), int(rng.integers(0, sw - width + 1))
    image = camera.scene[y0:y0 + height, x0:x0 + width].copy()

    occluder = str(rng.choice(["pole", "obstacle", "pedestrian"])) if rng.random() < camera.occlusion else ""
    passer_by: tuple[np.ndarray, np.ndarray] | None = None  # another pedestrian in front of the person
    if occluder == "pedestrian":
        layer = _render_person(_draw_person(rng), rng, size=(height, width), view=int(rng.integers(0, 3)),
                               scale=camera.scale * rng.uniform(0.9, 1.1),
                               centre_x=width / 2 + rng.choice([-1, 1]) * width * rng.uniform(0.5, 0.7),
                               top=height * rng.uniform(0.0, 0.08))
        if rng.random() < 0.5:
            image = _over(image, layer)
        else:
            passer_by = layer

    view = int(rng.choice(3, p=camera.views))
    if job.person is None:  # junk: a bad detection showing a fragment of somebody, or nobody
        if rng.random() < 0.7:
            image = _over(image, _render_person(_draw_person(rng), rng, size=(height, width), view=view,
                                                scale=rng.uniform(1.6, 2.4), centre_x=width * rng.uniform(0.0, 1.0),
                                                top=-height * rng.uniform(0.3, 1.2)))
    else:
        scale = float(np.clip(camera.scale * rng.normal(1.0, 0.05), 0.68, 1.02))
        free = height * (1 - scale * job.person.stature)
        image = _over(image, _render_person(job.person, rng, size=(height, width), view=view, scale=scale,
                                            centre_x=width / 2 + rng.normal(0, 0.05) * width,
                                            top=free / 2 + rng.normal(0, 0.04) * height))
    if passer_by is not None:
        image = _over(image, passer_by)
    elif occluder == "pole":
        x, w = rng.uniform(0, width), max(2.0, width * rng.uniform(0.05, 0.12))
        xs = np.arange(width)
        image[:, (xs >= x - w / 2) & (xs < x + w / 2)] = camera.prop_colour * rng.uniform(0.8, 1.1)
    elif occluder == "obstacle":
        y, x = int(height * rng.uniform(0.65, 0.85)), int(width * rng.uniform(0.4, 1.0))
        cols = slice(0, x) if rng.random() < 0.5 else slice(width - x, width)
        image[y:, cols] = camera.prop_colour[::-1] * rng.uniform(0.7, 1.0)

    pil = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    blur = camera.blur * rng.uniform(0.8, 1.2)
    if blur > 0.2:
        pil = pil.filter(ImageFilter.GaussianBlur(radius=blur))
    pixels = np.asarray(pil, dtype=np.float32) / 255.0
    pixels = 255.0 * pixels ** camera.gamma * camera.gain * rng.uniform(0.85, 1.15) + camera.offset
    pixels = pixels + rng.normal(0, camera.noise, pixels.shape)
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


# ---------------------------------------------------------------- layout


def _plan(config: SyntheticConfig) -> list[_Job]:
    """Decide every file: which person, camera, subset and name."""
    rng = _rng(config.seed, _STREAM_LAYOUT)
    num_train = config.num_identities // 2
    frames = [int(f) for f in rng.integers(1, 500, config.num_cameras)]
    jobs: list[_Job] = []

    def add(subset: str, person_id: int, person: _Person | None, camera: int) -> None:
        frames[camera] += int(rng.integers(1, 150))
        box = int(rng.integers(1, 5))
        name = f"{person_id:04d}" if person_id >= 0 else "-1"
        jobs.append(_Job(subset, f"{name}_c{camera + 1}s1_{frames[camera]:06d}_{box:02d}.jpg", person, camera,
                         len(jobs)))

    low_cams, high_cams = config.cameras_per_identity
    low_images, high_images = config.images_per_identity_camera
    for person_id in range(1, config.num_identities + 1):
        person = _draw_person(_rng(config.seed, _STREAM_PERSON, person_id))
        cameras = sorted(int(c) for c in rng.choice(config.num_cameras, int(rng.integers(low_cams, high_cams + 1)),
                                                    replace=False))
        counts = rng.integers(low_images, high_images + 1, len(cameras))
        if person_id <= num_train:
            for camera, count in zip(cameras, counts):
                for _ in range(int(count)):
                    add(SUBSET_FOLDERS["train"], person_id, person, camera)
            continue
        # Test identity: a gallery image in two cameras at least, so every query has a cross-camera match.
        for i in np.argsort(-counts, kind="stable")[:2]:
            counts[i] = max(int(counts[i]), 2)
        for camera, count in zip(cameras, counts):
            add(SUBSET_FOLDERS["query"], person_id, person, camera)
            for _ in range(int(count) - 1):
                add(SUBSET_FOLDERS["gallery"], person_id, person, camera)
    num_test = config.num_identities - num_train
    for index in range(max(2, num_test // 2)):
        distractor = _draw_person(_rng(config.seed, _STREAM_PERSON, config.num_identities + 1 + index))
        add(SUBSET_FOLDERS["gallery"], 0, distractor, int(rng.integers(config.num_cameras)))
    for _ in range(max(2, num_test // 6)):
        add(SUBSET_FOLDERS["gallery"], -1, None, int(rng.integers(config.num_cameras)))
    return jobs


# ---------------------------------------------------------------- writing


def _marker_text(config: SyntheticConfig) -> str:
    return json.dumps({"generator_version": GENERATOR_VERSION, 
                       "config": config.to_json()}, sort_keys=True, indent=2)


def _is_cached(root: Path, config: SyntheticConfig) -> bool:
    marker = root / MARKER_NAME
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()) == json.loads(_marker_text(config))
    except (OSError, json.JSONDecodeError):
        return False


def make_synthetic_pedestrians(*, root: Path, config: SyntheticConfig = SyntheticConfig(),
                               overwrite: bool = False) -> Path:
    """Draw the data set into ``root`` in the Market-1501 layout and return ``root``.

    The images are written into a sibling temporary folder that is renamed to ``root``
    once complete, so an interrupted run leaves no half-written data set. A finished set
    whose ``.complete`` marker matches ``config`` (and this generator version) is reused.

    Args:
        root: output folder; it must not exist, be empty, or hold an earlier synthetic set
            (which is replaced when its config differs or ``overwrite`` is set).
        config: what to draw.
        overwrite: redraw even when ``root`` already holds this config.

    Returns:
        ``root``.

    Raises:
        ValueError: when ``root`` is a file, or a non-empty folder that is not a synthetic set.
    """
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise ValueError(f"synthetic data root {root} is a file; give a folder path")
    if not overwrite and _is_cached(root, config):
        logger.info("synthetic pedestrians: %s already holds this config, reusing it", root)
        return root
    if root.is_dir() and any(root.iterdir()) and not (root / MARKER_NAME).is_file():
        raise ValueError(
            f"synthetic data root {root} is a non-empty folder without a {MARKER_NAME} marker; "
            "refusing to overwrite it: choose an empty or new folder"
        )
    started = time.perf_counter()
    cameras = _draw_cameras(config)
    jobs = _plan(config)
    root.parent.mkdir(parents=True, exist_ok=True)
    partial = root.parent / f".{root.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    for folder in SUBSET_FOLDERS.values():
        (partial / folder).mkdir(parents=True)
    logger.info("synthetic pedestrians: drawing %d images of %d identities in %d cameras into %s",
                len(jobs), config.num_identities, config.num_cameras, root)
    report_every = max(1, len(jobs) // 5)
    try:
        for done, job in enumerate(jobs, start=1):
            camera = cameras[job.camera]
            _render_image(job, camera, config).save(partial / job.subset / job.file_name, quality=camera.jpeg_quality)
            if done % report_every == 0:
                logger.info("synthetic pedestrians: %d/%d images (%.1f s)", done, len(jobs),
                            time.perf_counter() - started)
        (partial / MARKER_NAME).write_text(_marker_text(config))
        if not overwrite and _is_cached(root, config):  # a concurrent run finished the same set first
            shutil.rmtree(partial)
        elif root.exists():
            retired = root.parent / f".{root.name}.old-{os.getpid()}"
            root.rename(retired)
            partial.rename(root)
            shutil.rmtree(retired)
        else:
            partial.rename(root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("synthetic pedestrians: wrote %s in %.1f s", root, time.perf_counter() - started)
    return root
