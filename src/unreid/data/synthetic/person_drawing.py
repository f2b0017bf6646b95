"""Drawing one person (front, back or side view) as an antialiased RGB layer with alpha.

The person is drawn as a label mask at twice the resolution (skin, hair, upper and lower
clothing, shoes, bag, logo, hat), coloured from its appearance, shaded, and averaged down, so
that the same identity looks consistent across poses while bags and logos appear only in
the views where they would be seen.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image, ImageDraw

from unreid.data.synthetic.appearance import Person

logger = logging.getLogger(__name__)

# Part labels of the person mask.
_BG, _SKIN, _HAIR, _UPPER, _LOWER, _SHOES, _BAG, _LOGO, _HAT = range(9)
_NUM_LABELS = 9
_FRONT, _BACK, _SIDE = 0, 1, 2


def _limb(draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float],
          width: float, label: int) -> None:
    draw.line([start, end], fill=label, width=max(1, round(width)))
    r = width / 2
    for x, y in (start, end):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=label)


def _along(start: tuple[float, float], end: tuple[float, float], t: float) -> tuple[float, float]:
    return start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t


def render_person(person: Person, rng: np.random.Generator, *, size: tuple[int, int], view: int,
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
