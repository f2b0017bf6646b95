"""Rendering one image: a scene crop, the person, occluders, then the camera's optics and sensor.

Each image draws from its own random stream (keyed by its index), so images can be rendered
in any order with the same result. Order of effects: background crop, an optional passer-by
behind or in front, the person (or a junk fragment), a pole or obstacle, blur, gamma and
colour cast, brightness, sensor noise.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image, ImageFilter

from unreid.data.synthetic.appearance import draw_person
from unreid.data.synthetic.cameras import Camera
from unreid.data.synthetic.config import SyntheticConfig
from unreid.data.synthetic.layout import Job
from unreid.data.synthetic.person_drawing import render_person
from unreid.data.synthetic.random_streams import STREAM_IMAGE, seeded_rng

logger = logging.getLogger(__name__)


def _over(base: np.ndarray, layer: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    rgb, alpha = layer
    return rgb + (1.0 - alpha[..., None]) * base


def render_image(job: Job, camera: Camera, config: SyntheticConfig) -> Image.Image:
    """The ``config.height x config.width`` RGB image of ``job`` as seen by ``camera``."""
    rng = seeded_rng(config.seed, STREAM_IMAGE, job.key)
    height, width = config.height, config.width
    sh, sw = camera.scene.shape[:2]
    y0, x0 = int(rng.integers(0, sh - height + 1)), int(rng.integers(0, sw - width + 1))
    image = camera.scene[y0:y0 + height, x0:x0 + width].copy()

    occluder = str(rng.choice(["pole", "obstacle", "pedestrian"])) if rng.random() < camera.occlusion else ""
    passer_by: tuple[np.ndarray, np.ndarray] | None = None  # another pedestrian in front of the person
    if occluder == "pedestrian":
        layer = render_person(draw_person(rng), rng, size=(height, width), view=int(rng.integers(0, 3)),
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
            image = _over(image, render_person(draw_person(rng), rng, size=(height, width), view=view,
                                                scale=rng.uniform(1.6, 2.4), centre_x=width * rng.uniform(0.0, 1.0),
                                                top=-height * rng.uniform(0.3, 1.2)))
    else:
        scale = float(np.clip(camera.scale * rng.normal(1.0, 0.05), 0.68, 1.02))
        free = height * (1 - scale * job.person.stature)
        image = _over(image, render_person(job.person, rng, size=(height, width), view=view, scale=scale,
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
