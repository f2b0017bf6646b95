"""The trained generator behind the same ``transfer`` call as the colour baseline.

:class:`~unreid.generator.camera_style.CameraStyleGenerator` (the closed-form colour
transform, kept as the named baseline) and :class:`LearnedCameraStyle` (the StarGAN
generator of :mod:`unreid.generator.stargan`) both answer
``transfer(pixels, source_cameras=..., target_cameras=...)`` on ``uint8`` images, so
rendering, grids and the evidence script treat them alike. The learned one works at
its own resolution (128x64 by default) and resizes to and from the caller's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unreid.engine.checkpoint import load_checkpoint
from unreid.generator.stargan import CameraStyleTranslator, to_uint8, to_unit_range

logger = logging.getLogger(__name__)


class CameraStyleRenderer(Protocol):
    """Anything that renders ``uint8 [B, 3, H, W]`` images from source into target cameras."""

    num_cameras: int

    def transfer(self, pixels: Tensor, *, source_cameras: Tensor, target_cameras: Tensor) -> Tensor: ...


class LearnedCameraStyle(nn.Module):
    """A trained :class:`CameraStyleTranslator` and the resolution it was trained at.

    Args:
        translator: the generator network.
        height, width: its working resolution.
    """

    def __init__(self, *, translator: CameraStyleTranslator, height: int, width: int) -> None:
        super().__init__()
        self.translator = translator
        self.num_cameras = translator.num_cameras
        self.height, self.width = height, width

    @torch.no_grad()
    def transfer(self, pixels: Tensor, *, source_cameras: Tensor, target_cameras: Tensor) -> Tensor:
        """Render ``uint8 [B, 3, H, W]`` images in the target cameras' style (source cameras are implied by the image)."""
        self.translator.eval()
        device = next(self.translator.parameters()).device
        b, _, h, w = pixels.shape
        x = to_unit_range(pixels.to(device))  # [B, 3, H, W]
        if (h, w) != (self.height, self.width):
            x = F.interpolate(x, size=(self.height, self.width), mode="bilinear", align_corners=False, antialias=True)
        y = self.translator(x, target_cameras.long().to(device))  # [B, 3, h, w]
        if (h, w) != (self.height, self.width):
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)  # [B, 3, H, W]
        return to_uint8(y).to(pixels.device)  # [B, 3, H, W]


def checkpoint_payload(*, trainer_state: dict[str, Any], height: int, width: int) -> dict[str, Any]:
    """What ``unreid generator train`` saves: the trainer state plus the working resolution."""
    return {**trainer_state, "height": height, "width": width, "kind": "stargan-camera-style"}


def load_learned_style(path: Path, *, device: torch.device | str = "cpu") -> LearnedCameraStyle:
    """Rebuild the generator of a checkpoint written by ``unreid generator train``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: generator checkpoint not found; train one with `unreid generator train`")
    state = load_checkpoint(path, required=(), what="generator checkpoint")
    if state.get("kind") != "stargan-camera-style":
        raise ValueError(f"{path}: not a generator checkpoint written by `unreid generator train`")
    options = state["options"]
    translator = CameraStyleTranslator(num_cameras=int(state["num_cameras"]), channels=int(options["channels"]),
                                       num_residual=int(options["num_residual"]))
    translator.load_state_dict(state["generator"])
    logger.info("loaded camera-style generator from %s (%d steps)", path, int(state["steps_done"]))
    return LearnedCameraStyle(translator=translator.to(device), height=int(state["height"]), width=int(state["width"]))
