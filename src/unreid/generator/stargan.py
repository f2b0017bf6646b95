"""A single camera-conditioned generator and its camera-aware discriminator.

StarGAN (Choi et al., "StarGAN: Unified Generative Adversarial Networks for
Multi-Domain Image-to-Image Translation", CVPR 2018) replaces CamStyle's one CycleGAN
per camera pair (Zhong et al., "Camera Style Adaptation for Person
Re-identification", CVPR 2018) by one generator that takes the *target* domain as an
input: here the domain is the camera, the only label that comes free with every
surveillance crop, so the generator is trained without identity labels.

Two choices differ from StarGAN's published network, both to keep the person intact
and to make a small network useful after a few hundred steps:

* the generator predicts, in logit space ``l = atanh(x)``, a global colour transform
  ``A l + b`` (3x3 matrix and offset from the pooled image code and the target camera:
  a camera's cast, gain and white balance are global) plus a local residual ``r``
  (background, blur): ``y = tanh(A l + b + r)``; both heads start at zero, so an
  untrained generator is the identity map and a few hundred CPU steps already move colours;
* the discriminator shares one trunk between a patch-wise real/fake map and a global
  camera classifier (StarGAN's ``D_src`` and ``D_cls``).

Images are in ``[-1, 1]``; :func:`to_unit_range` and :func:`to_uint8` convert.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def to_unit_range(pixels: Tensor) -> Tensor:
    """``uint8 [B, 3, H, W]`` -> float in ``[-1, 1]``."""
    return pixels.float().div(127.5).sub(1.0)  # [B, 3, H, W]


def to_uint8(images: Tensor) -> Tensor:
    """Float in ``[-1, 1]`` -> ``uint8 [B, 3, H, W]``."""
    return images.detach().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8)  # [B, 3, H, W]


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)  # [B, C, h, w]


class CameraStyleTranslator(nn.Module):
    """Generator ``G(x, c)``: image ``x`` rendered as camera ``c`` would see it.

    Args:
        num_cameras: ``M``; the target camera enters as ``M`` one-hot input planes.
        channels: width of the first layer (doubled by each of the two downsamplings).
        num_residual: residual blocks at 1/4 resolution.
    """

    def __init__(self, *, num_cameras: int, channels: int = 64, num_residual: int = 6) -> None:
        super().__init__()
        if num_cameras < 2:
            raise ValueError(f"a camera-style generator needs at least 2 cameras, got {num_cameras}")
        self.num_cameras = num_cameras
        c = channels
        layers: list[nn.Module] = [
            nn.Conv2d(3 + num_cameras, c, 7, padding=3, bias=False), nn.InstanceNorm2d(c, affine=True),
            nn.ReLU(inplace=True),
        ]
        for scale in (1, 2):
            layers += [nn.Conv2d(c * scale, c * scale * 2, 4, stride=2, padding=1, bias=False),
                       nn.InstanceNorm2d(c * scale * 2, affine=True), nn.ReLU(inplace=True)]
        layers += [_ResidualBlock(c * 4) for _ in range(num_residual)]
        self.encoder = nn.Sequential(*layers)
        layers = []
        for scale in (4, 2):
            layers += [nn.ConvTranspose2d(c * scale, c * scale // 2, 4, stride=2, padding=1, bias=False),
                       nn.InstanceNorm2d(c * scale // 2, affine=True), nn.ReLU(inplace=True)]
        self.decoder = nn.Sequential(*layers)
        self.to_colour = nn.Linear(c * 4 + num_cameras, 12)
        nn.init.zeros_(self.to_colour.weight)  # starts at A = I, b = 0
        nn.init.zeros_(self.to_colour.bias)
        self.to_residual = nn.Conv2d(c, 3, 7, padding=3)
        nn.init.zeros_(self.to_residual.weight)  # an untrained generator returns its input
        nn.init.zeros_(self.to_residual.bias)  # type: ignore[arg-type]

    def forward(self, images: Tensor, target_cameras: Tensor) -> Tensor:
        """``images [B, 3, H, W]`` in ``[-1, 1]`` (``H``, ``W`` divisible by 4), ``target_cameras [B]``."""
        b, _, h, w = images.shape
        if h % 4 or w % 4:
            raise ValueError(f"generator input must have height and width divisible by 4, got {h}x{w}")
        planes = F.one_hot(target_cameras.long(), self.num_cameras).to(images.dtype)  # [B, M]
        planes = planes[:, :, None, None].expand(b, self.num_cameras, h, w)  # [B, M, H, W]
        code = self.encoder(torch.cat([images, planes], dim=1))  # [B, 4c, H/4, W/4]
        residual = self.to_residual(self.decoder(code))  # [B, 3, H, W]
        colour = self.to_colour(torch.cat([code.mean(dim=(2, 3)), planes[:, :, 0, 0]], dim=1))  # [B, 12]
        matrix = torch.eye(3, device=images.device, dtype=images.dtype) + colour[:, :9].view(b, 3, 3)  # [B, 3, 3]
        logits = torch.atanh(images.clamp(-0.995, 0.995))  # [B, 3, H, W]
        moved = torch.einsum("bij,bjhw->bihw", matrix, logits) + colour[:, 9:, None, None]  # [B, 3, H, W]
        return torch.tanh(moved + residual)  # [B, 3, H, W]


class CameraDiscriminator(nn.Module):
    """``D(x)``: a patch map of real/fake scores and the camera logits of ``x``.

    Args:
        num_cameras: ``M``.
        height, width: input size (the camera head pools globally, so any multiple of 16 works).
        channels: width of the first layer (doubled by each of the four strided layers).
    """

    def __init__(self, *, num_cameras: int, channels: int = 64, num_layers: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in, c = 3, channels
        for _ in range(num_layers):
            layers += [nn.Conv2d(c_in, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            c_in, c = c, c * 2
        self.trunk = nn.Sequential(*layers)
        self.real_fake = nn.Conv2d(c_in, 1, 3, padding=1)
        self.camera = nn.Linear(c_in, num_cameras)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``images [B, 3, H, W]`` -> ``(scores [B, h, w], camera_logits [B, M])``."""
        x = self.trunk(images)  # [B, C, H/16, W/16]
        scores = self.real_fake(x).squeeze(1)  # [B, H/16, W/16]
        return scores, self.camera(x.mean(dim=(2, 3)))  # [B, M]
