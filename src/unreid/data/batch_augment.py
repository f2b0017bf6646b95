"""Batched image augmentation on ``uint8`` tensors, on whatever device they live on.

Training augmentation of Cluster Contrast and strong re-ID baselines: horizontal flip,
10-pixel zero padding followed by a random crop back to size, ImageNet normalisation
and random erasing (Zhong et al., "Random Erasing Data Augmentation", AAAI 2020).
Every operation is one vectorised tensor op over the whole batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize(images: Tensor, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """``uint8 [B, 3, H, W]`` -> ImageNet-normalised float."""
    mean = torch.tensor(IMAGENET_MEAN, device=images.device, dtype=dtype).view(1, 3, 1, 1) * 255
    std = torch.tensor(IMAGENET_STD, device=images.device, dtype=dtype).view(1, 3, 1, 1) * 255
    return (images.to(dtype) - mean) / std  # [B, 3, H, W]


def random_flip(images: Tensor, *, generator: torch.Generator | None = None, p: float = 0.5) -> Tensor:
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < p  # [B]
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)


def random_pad_crop(images: Tensor, *, padding: int = 10, generator: torch.Generator | None = None) -> Tensor:
    """Zero-pad by ``padding`` and crop a random window of the original size per image."""
    if padding <= 0:
        return images
    b, c, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))  # [B, C, H+2p, W+2p]
    dy = torch.randint(0, 2 * padding + 1, (b,), device=images.device, generator=generator)  # [B]
    dx = torch.randint(0, 2 * padding + 1, (b,), device=images.device, generator=generator)  # [B]
    rows = (dy.view(b, 1) + torch.arange(h, device=images.device)).view(b, 1, h, 1).expand(b, c, h, w + 2 * padding)
    cropped = padded.gather(2, rows)  # [B, C, H, W+2p]
    cols = (dx.view(b, 1) + torch.arange(w, device=images.device)).view(b, 1, 1, w).expand(b, c, h, w)
    return cropped.gather(3, cols)  # [B, C, H, W]


def random_erasing(
    images: Tensor, *, p: float = 0.5, area: tuple[float, float] = (0.02, 0.4), min_aspect: float = 0.3,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Replace one random rectangle per selected image with zeros (the normalised mean).

    Applied after normalisation, so zero is the ImageNet mean colour, as in the
    reference implementations' ``RandomErasing(mean=[0.485, 0.456, 0.406])``.
    """
    b, _, h, w = images.shape
    dev = images.device
    rand = lambda: torch.rand(b, device=dev, generator=generator)  # noqa: E731
    apply = rand() < p  # [B]
    target = (area[0] + (area[1] - area[0]) * rand()) * h * w  # [B]
    log_ratio = math.log(min_aspect) + (math.log(1 / min_aspect) - math.log(min_aspect)) * rand()
    aspect = torch.exp(log_ratio)  # [B]
    eh = torch.sqrt(target * aspect).round().clamp(1, h).long()  # [B]
    ew = torch.sqrt(target / aspect).round().clamp(1, w).long()  # [B]
    top = (rand() * (h - eh + 1).float()).long()  # [B]
    left = (rand() * (w - ew + 1).float()).long()  # [B]
    ys = torch.arange(h, device=dev).view(1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, w)
    inside = (ys >= top.view(b, 1, 1)) & (ys < (top + eh).view(b, 1, 1)) & (xs >= left.view(b, 1, 1)) & (
        xs < (left + ew).view(b, 1, 1)
    )  # [B, H, W]
    mask = (inside & apply.view(b, 1, 1)).unsqueeze(1)  # [B, 1, H, W]
    return images.masked_fill(mask, 0.0)


def train_augment(
    images: Tensor, *, padding: int = 10, erasing_p: float = 0.5, dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Flip, pad + crop, normalise, random erasing: ``uint8 [B,3,H,W]`` -> float ``[B,3,H,W]``."""
    images = random_flip(images, generator=generator)
    images = random_pad_crop(images, padding=padding, generator=generator)
    out = normalize(images, dtype=dtype)
    return random_erasing(out, p=erasing_p, generator=generator) if erasing_p > 0 else out
