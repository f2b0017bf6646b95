"""Drawing one person (front, back or side view) as an antialiased RGB layer with alpha.

The person is drawn as a label mask at twice the resolution (skin, hair, upper and lower
clothing, shoes, bag, logo, hat), coloured from its appearance, shaded, and averaged down, so
that the same identity looks consistent across poses while bags and logos appear only in
the views where they would be seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from unreid.data.synthetic.appearance import Person

logger = logging.getLogger(__name__)

# Part labels of the person mask.
_BG, _SKIN, _HAIR, _UPPER, _LOWER, _SHOES, _BAG, _LOGO, _HAT = range(9)
_NUM_LABELS = 9
_FRONT, _BACK, _SIDE = 0, 1, 2


Point = tuple[float, float]


def _limb(draw: ImageDraw.ImageDraw, start: Point, end: Point, width: float, label: int) -> None:
    draw.line([start, end], fill=label, width=max(1, round(width)))
    r = width / 2
    for x, y in (start, end):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=label)


def _along(start: Point, end: Point, t: float) -> Point:
    return start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t


@dataclass(frozen=True)
class _Figure:
    """Where one person's body goes on the double-resolution canvas (pixels; ``y`` grows downwards)."""

    view: int
    facing: int  # side view: which way the person walks (-1 or 1)
    cx: float  # the body's centre line
    top: float  # top of the head
    ph: float  # person height
    sw: float  # shoulder half-width
    hw: float  # hip half-width
    rh: float  # head radius
    shoulder: float  # shoulder line
    hip: float  # hip line
    foot: float  # soles

    @property
    def side(self) -> bool:
        return self.view == _SIDE

    @property
    def head_x(self) -> float:
        return self.cx + (0.2 * self.rh * self.facing if self.side else 0.0)


def _figure(person: Person, rng: np.random.Generator, *, height: int, view: int, scale: float, centre_x: float,
            top: float) -> _Figure:
    """The body's geometry for ``view`` on a canvas of twice ``height``; draws which way a side view faces."""
    ph = scale * person.stature * (2 * height)
    top2, cx = 2 * top, 2 * centre_x
    facing = int(rng.choice([-1, 1]))  # side view: which way the person walks
    sw = person.build * ph * (0.62 if view == _SIDE else 1.0)
    rh = person.head * ph
    return _Figure(view=view, facing=facing, cx=cx, top=top2, ph=ph, sw=sw, hw=sw * (0.9 if view == _SIDE else 0.8),
                   rh=rh, shoulder=top2 + 2 * rh + 0.025 * ph, hip=top2 + (1 - person.legs) * ph, foot=top2 + ph)


def _arm_positions(fig: _Figure, rng: np.random.Generator) -> list[tuple[Point, Point]]:
    """``(shoulder, hand)`` of the left then the right arm (a side view swings them)."""
    arm_w, arm_len = 0.06 * fig.ph, 0.36 * fig.ph
    arms = []
    for side in (-1, 1):
        if fig.side:
            angle = np.deg2rad(rng.uniform(-28, 28)) * side
            base = (fig.cx + 0.15 * fig.sw * fig.facing, fig.shoulder + arm_w / 2)
            hand = (base[0] + fig.facing * arm_len * np.sin(angle), base[1] + arm_len * np.cos(angle))
        else:
            angle = np.deg2rad(rng.uniform(4, 14))
            base = (fig.cx + side * (fig.sw - arm_w * 0.45), fig.shoulder + arm_w / 2)
            hand = (base[0] + side * arm_len * np.sin(angle), base[1] + arm_len * np.cos(angle))
        arms.append((base, hand))
    return arms


def _leg_positions(fig: _Figure, rng: np.random.Generator) -> list[tuple[Point, Point]]:
    """``(hip, ankle)`` of the left then the right leg, apart by a random stride."""
    shoe_h = 0.025 * fig.ph
    stride = rng.uniform(0.04, 0.11) * fig.ph if fig.side else rng.uniform(0.0, 0.025) * fig.ph
    legs = []
    for side in (-1, 1):
        hip_x = fig.cx + (0.15 * fig.hw * side if fig.side else 0.5 * fig.hw * side)
        foot_x = hip_x + side * stride
        legs.append(((hip_x, fig.hip), (foot_x, fig.foot - shoe_h)))
    return legs


def _draw_arm(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure, base: Point, hand: Point) -> None:
    arm_w = 0.06 * fig.ph
    _limb(draw, base, hand, arm_w, _SKIN)
    _limb(draw, base, _along(base, hand, 0.92 if person.long_sleeves else 0.38), arm_w * 1.08, _UPPER)


def _draw_backpack_behind(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """A side view's backpack, behind everything else."""
    if person.bag == "backpack" and fig.side:
        cx, ph = fig.cx, fig.ph
        bx = cx - fig.facing * (fig.sw + 0.04 * ph)
        draw.rounded_rectangle([min(bx, cx), fig.shoulder + 0.03 * ph, max(bx, cx), fig.shoulder + 0.27 * ph],
                               radius=0.02 * ph, fill=_BAG)


def _draw_legs(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure, legs: list[tuple[Point, Point]]) -> None:
    """Legs, their clothing and shoes, then the waist (or a skirt)."""
    cx, ph, hw, hip, foot = fig.cx, fig.ph, fig.hw, fig.hip, fig.foot
    leg_w, shoe_h = 0.085 * ph, 0.025 * ph
    for start, end in legs:
        _limb(draw, start, end, leg_w, _SKIN)
        cover = {"trousers": 1.0, "shorts": 0.42, "skirt": 0.0}[person.lower_style]
        if cover > 0:
            _limb(draw, start, _along(start, end, cover), leg_w * 1.05, _LOWER)
        sx = end[0] + (fig.facing * 0.025 * ph if fig.side else 0.0)
        half = 0.05 * ph if fig.side else 0.035 * ph
        draw.ellipse([sx - half, end[1] - shoe_h * 0.2, sx + half, foot + shoe_h * 0.4], fill=_SHOES)
    waist = hip - 0.04 * ph
    if person.lower_style == "skirt":
        skirt_bottom = hip + 0.55 * (foot - hip) * 0.6
        draw.polygon([(cx - hw, waist), (cx + hw, waist), (cx + hw * 1.5, skirt_bottom), (cx - hw * 1.5, skirt_bottom)],
                     fill=_LOWER)
    else:
        draw.rectangle([cx - hw - leg_w * 0.1, waist, cx + hw + leg_w * 0.1, hip + 0.03 * ph], fill=_LOWER)


def _draw_torso(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """Neck and torso, with a logo or a backpack (or its straps) where this view shows them."""
    cx, ph, sw, hw, rh, shoulder = fig.cx, fig.ph, fig.sw, fig.hw, fig.rh, fig.shoulder
    draw.rectangle([cx - 0.35 * rh, fig.top + 1.6 * rh, cx + 0.35 * rh, shoulder + 0.02 * ph], fill=_SKIN)
    draw.polygon([
        (cx - sw, shoulder + 0.035 * ph), (cx - sw * 0.75, shoulder), (cx + sw * 0.75, shoulder),
        (cx + sw, shoulder + 0.035 * ph), (cx + hw * 1.05, fig.hip - 0.02 * ph), (cx - hw * 1.05, fig.hip - 0.02 * ph),
    ], fill=_UPPER)
    if person.pattern == "logo" and fig.view == _FRONT:
        lw = 0.45 * sw
        draw.rectangle([cx - lw, shoulder + 0.06 * ph, cx + lw, shoulder + 0.06 * ph + 1.2 * lw], fill=_LOGO)
    if person.bag == "backpack" and fig.view == _BACK:
        draw.rounded_rectangle([cx - 0.7 * sw, shoulder + 0.03 * ph, cx + 0.7 * sw, shoulder + 0.27 * ph],
                               radius=0.02 * ph, fill=_BAG)
    if person.bag == "backpack" and fig.view == _FRONT:
        for side in (-1, 1):
            x = cx + side * 0.55 * sw
            draw.line([(x, shoulder), (x + side * 0.05 * sw, shoulder + 0.17 * ph)], fill=_BAG,
                      width=max(1, round(0.018 * ph)))


def _draw_long_hair(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """Long hair, drawn before the head: strands beside the face (front) or a fall behind it."""
    if person.hair_style != "long":
        return
    hx, rh, top = fig.head_x, fig.rh, fig.top
    length = fig.shoulder + (0.12 if fig.view == _BACK else 0.05) * fig.ph
    if fig.view == _FRONT:  # strands either side of the face, over the shoulders
        for side in (-1, 1):
            draw.rounded_rectangle([hx + side * 0.55 * rh - 0.5 * rh, top + 0.6 * rh,
                                    hx + side * 0.55 * rh + 0.5 * rh, length], radius=0.4 * rh, fill=_HAIR)
    else:
        back = -fig.facing * 0.3 * rh if fig.side else 0.0
        draw.rounded_rectangle([hx + back - 1.05 * rh, top + rh, hx + back + 1.05 * rh, length],
                               radius=0.5 * rh, fill=_HAIR)


def _draw_hair_cap(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """Hair over the head (the back of any head shows hair), and a bun where it is seen."""
    hx, rh, top, facing = fig.head_x, fig.rh, fig.top, fig.facing
    if fig.view == _BACK:
        draw.ellipse([hx - 0.9 * rh, top - 0.05 * rh, hx + 0.9 * rh, top + 1.9 * rh], fill=_HAIR)
    elif fig.side:
        draw.pieslice([hx - 0.92 * rh, top - 0.08 * rh, hx + 0.92 * rh, top + 1.9 * rh],
                      90 if facing > 0 else -90, 360 if facing > 0 else 180, fill=_HAIR)
    else:
        draw.pieslice([hx - 0.92 * rh, top - 0.08 * rh, hx + 0.92 * rh, top + 1.5 * rh], 180, 360,
                      fill=_HAIR)
    if person.hair_style == "bun" and fig.view != _FRONT:
        bx = hx - facing * 0.9 * rh if fig.side else hx
        by = top + (0.55 if fig.side else 0.25) * rh
        draw.ellipse([bx - 0.4 * rh, by - 0.4 * rh, bx + 0.4 * rh, by + 0.4 * rh], fill=_HAIR)


def _draw_head(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """Hair behind the head (long hair), the head, then a hat or the hair over it."""
    _draw_long_hair(draw, person, fig)
    hx, rh, top = fig.head_x, fig.rh, fig.top
    draw.ellipse([hx - 0.85 * rh, top, hx + 0.85 * rh, top + 2 * rh], fill=_SKIN)
    if person.hat is not None:
        draw.pieslice([hx - 0.95 * rh, top - 0.15 * rh, hx + 0.95 * rh, top + 1.7 * rh], 180, 360, fill=_HAT)
        draw.rectangle([hx - 1.1 * rh, top + 0.7 * rh, hx + 1.1 * rh, top + 0.9 * rh], fill=_HAT)
    elif person.hair_style != "bald" or fig.view == _BACK:
        _draw_hair_cap(draw, person, fig)


def _draw_handbag(draw: ImageDraw.ImageDraw, person: Person, fig: _Figure) -> None:
    """A handbag on its strap, over everything else."""
    if person.bag != "handbag":
        return
    cx, ph, sw = fig.cx, fig.ph, fig.sw
    side = person.bag_side * (-1 if fig.view == _BACK else 1)
    bx = cx + side * (sw + 0.02 * ph) if not fig.side else cx - fig.facing * 0.1 * sw
    by = fig.hip - 0.02 * ph
    draw.line([(cx + side * 0.6 * sw, fig.shoulder), (bx, by)], fill=_BAG, width=max(1, round(0.012 * ph)))
    draw.rectangle([bx - 0.05 * ph, by, bx + 0.05 * ph, by + 0.09 * ph], fill=_BAG)


def _part_mask(person: Person, fig: _Figure, arms: list[tuple[Point, Point]], legs: list[tuple[Point, Point]],
               canvas: tuple[int, int]) -> np.ndarray:
    """``uint8 [2H, 2W]`` part labels, drawn back to front: what a view hides is drawn first."""
    label = Image.new("L", canvas, _BG)
    draw = ImageDraw.Draw(label)
    _draw_backpack_behind(draw, person, fig)
    if fig.side:  # the far arm, behind the torso
        _draw_arm(draw, person, fig, *arms[0])
    _draw_legs(draw, person, fig, legs)
    _draw_torso(draw, person, fig)
    _draw_head(draw, person, fig)
    for base, hand in arms[1:] if fig.side else arms:  # the near arm(s)
        _draw_arm(draw, person, fig, base, hand)
    _draw_handbag(draw, person, fig)
    return np.asarray(label)


def _coloured(parts: np.ndarray, person: Person, fig: _Figure) -> tuple[np.ndarray, np.ndarray]:
    """``(premultiplied RGB [2H, 2W, 3], alpha [2H, 2W])`` of the part labels: colours, pattern, shading."""
    h2, w2 = parts.shape
    lut = np.zeros((_NUM_LABELS, 3), np.float32)
    lut[_SKIN], lut[_HAIR], lut[_UPPER], lut[_LOWER] = person.skin, person.hair, person.upper, person.lower
    lut[_SHOES], lut[_BAG], lut[_LOGO] = person.shoes, person.bag_colour, person.upper2
    lut[_HAT] = person.hat if person.hat is not None else 0
    rgb = lut[parts]
    yy = np.arange(h2, dtype=np.float32)[:, None]
    xx = np.arange(w2, dtype=np.float32)[None, :]
    if person.pattern in ("hstripes", "vstripes", "checks"):
        period = max(2.0, person.period * fig.ph)
        across = ((yy - fig.shoulder) // period) % 2 == 1
        down = ((xx - fig.cx) // period) % 2 == 1
        mask = {"hstripes": across, "vstripes": down, "checks": across ^ down}[person.pattern]
        rgb = np.where(((parts == _UPPER) & mask)[..., None], person.upper2[None, None, :], rgb)
    shade = (1.05 - 0.35 * np.clip(((xx - fig.cx) / (fig.sw * 1.4)) ** 2, 0, 1)) * (1.04 - 0.12 * (yy - fig.top) / fig.ph)
    rgb = rgb * shade[..., None]
    alpha = (parts > _BG).astype(np.float32)
    return rgb * alpha[..., None], alpha


def render_person(person: Person, rng: np.random.Generator, *, size: tuple[int, int], view: int,
                  scale: float, centre_x: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``person`` on a transparent canvas of ``size`` = (H, W) at twice the resolution.

    Returns:
        ``(premultiplied RGB, alpha)`` at ``size``, float32, antialiased by 2x2 averaging.
    """
    height, width = size
    fig = _figure(person, rng, height=height, view=view, scale=scale, centre_x=centre_x, top=top)
    arms = _arm_positions(fig, rng)
    legs = _leg_positions(fig, rng)
    parts = _part_mask(person, fig, arms, legs, canvas=(2 * width, 2 * height))  # [2H, 2W]
    rgb, alpha = _coloured(parts, person, fig)  # [2H, 2W, 3], [2H, 2W]
    rgb = rgb.reshape(height, 2, width, 2, 3).mean(axis=(1, 3))  # [H, W, 3]
    alpha = alpha.reshape(height, 2, width, 2).mean(axis=(1, 3))  # [H, W]
    return rgb, alpha
