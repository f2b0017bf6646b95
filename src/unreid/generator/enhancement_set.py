"""The enhancement set: generated images that join training with their source's pseudo-label."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from unreid.data.records import Record
from unreid.generator.camera_style import CameraStyleGenerator


@dataclass
class EnhancementSet:
    """Generated images and where each came from.

    Attributes:
        pixels: ``uint8 [M, 3, H, W]`` generated images.
        source_index: ``[M]`` row of the source image in the training set.
        records: one record per generated image (camera = the target camera,
            person id = the source's, used only for diagnostics).
    """

    pixels: Tensor
    source_index: Tensor
    records: list[Record]


@torch.no_grad()
def generate_enhancement_set(
    *, generator: CameraStyleGenerator, pixels: Tensor, records: list[Record], per_image: int = 1, seed: int = 0,
    batch_size: int = 512,
) -> EnhancementSet:
    """Render each training image in ``per_image`` other cameras' styles, chosen at random."""
    if per_image < 1:
        raise ValueError(f"per_image must be >= 1, got {per_image}")
    gen = torch.Generator().manual_seed(seed)
    n = len(records)
    cams = torch.tensor([r.camera_id for r in records])  # [N]
    source = torch.arange(n).repeat(per_image)  # [M]
    offset = torch.randint(1, generator.num_cameras, (source.numel(),), generator=gen)  # [M], never 0
    target = (cams[source] + offset) % generator.num_cameras  # [M], always another camera
    out = torch.empty((source.numel(), *pixels.shape[1:]), dtype=torch.uint8, device=pixels.device)
    for start in range(0, source.numel(), batch_size):
        sl = slice(start, start + batch_size)
        out[sl] = generator.transfer(
            pixels[source[sl].to(pixels.device)], source_cameras=cams[source[sl]], target_cameras=target[sl]
        )
    new_records = [
        Record(Path(f"generated/{records[s].path.stem}_to_c{int(t) + 1}.jpg"), records[s].person_id, int(t))
        for s, t in zip(source.tolist(), target.tolist())
    ]
    return EnhancementSet(pixels=out, source_index=source, records=new_records)
