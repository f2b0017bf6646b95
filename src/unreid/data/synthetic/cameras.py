"""The camera model: scene, colour cast, gamma, blur, noise, JPEG quality, viewpoint, occlusion.

The cameras are what makes the synthetic set a re-ID problem: their effects dominate the
low-level statistics, so untrained features group images by camera. Colour-cast hues are
spread evenly around the colour wheel so that no two cameras share a cast, and
``camera_strength`` scales the casts and scene colours between none and full.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from unreid.data.synthetic.config import SyntheticConfig
from unreid.data.synthetic.random_streams import STREAM_CAMERA, seeded_rng
from unreid.data.synthetic.scenes import SCENE_KINDS, draw_scene

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Camera:
    """Everything one camera does to its images."""

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


def draw_cameras(config: SyntheticConfig) -> list[Camera]:
    """The ``config.num_cameras`` cameras, with casts spread around the colour wheel."""
    rng = seeded_rng(config.seed, STREAM_CAMERA)
    kinds = [SCENE_KINDS[i % len(SCENE_KINDS)] for i in rng.permutation(max(config.num_cameras, len(SCENE_KINDS)))]
    # Colour casts: tint hues spread evenly around the colour wheel (in random order), so
    # no two cameras share a cast however the seed falls.
    slots = rng.permutation(config.num_cameras)
    phase = rng.uniform(0, 2 * np.pi)
    channels = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])
    cameras = []
    for index in range(config.num_cameras):
        cam_rng = seeded_rng(config.seed, STREAM_CAMERA, index)
        hue = phase + 2 * np.pi * (slots[index] + cam_rng.uniform(-0.2, 0.2)) / config.num_cameras
        gain = cam_rng.uniform(0.8, 1.2) * (1 + cam_rng.uniform(0.25, 0.36) * np.cos(hue - channels))
        offset = cam_rng.uniform(5, 20) * np.cos(cam_rng.uniform(0, 2 * np.pi) - channels)
        scene = draw_scene(kinds[index], cam_rng, config.height * 5 // 4, config.width * 3)
        gamma = float(cam_rng.uniform(0.75, 1.3))
        strength = config.camera_strength
        views = np.full(3, 0.15)
        views[index % 3] = 0.7
        cameras.append(Camera(
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
