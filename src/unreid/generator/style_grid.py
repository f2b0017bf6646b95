"""Image grids of real training images next to their generated camera-style versions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.learned_style import CameraStyleRenderer


def save_style_grid(*, path: Path, real: Tensor, enhancement: EnhancementSet, num_examples: int = 8) -> Path:
    """Top row: source images; bottom row: the same images rendered in another camera's style."""
    count = min(num_examples, enhancement.pixels.shape[0])
    picks = torch.linspace(0, enhancement.pixels.shape[0] - 1, count).long()
    sources = real[enhancement.source_index[picks].to(real.device)].cpu()  # [n, 3, H, W]
    generated = enhancement.pixels[picks.to(enhancement.pixels.device)].cpu()  # [n, 3, H, W]
    top = torch.cat(list(sources), dim=2)  # [3, H, n*W]
    bottom = torch.cat(list(generated), dim=2)  # [3, H, n*W]
    grid = torch.cat([top, bottom], dim=1).permute(1, 2, 0).numpy().astype(np.uint8)  # [2H, n*W, 3]
    image = Image.fromarray(grid)
    image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return Path(path)


@torch.no_grad()
def save_camera_grid(
    *, path: Path, renderer: CameraStyleRenderer, pixels: Tensor, cameras: Tensor, num_sources: int = 6
) -> Path:
    """One row per source image: the source, then the source rendered into every camera ``0 .. M-1``."""
    picks = torch.linspace(0, pixels.shape[0] - 1, min(num_sources, pixels.shape[0])).long()  # [S]
    m = renderer.num_cameras
    rows = []
    for i in picks.tolist():
        source = pixels[i:i + 1].expand(m, -1, -1, -1)  # [M, 3, H, W]
        rendered = renderer.transfer(source, source_cameras=cameras[i:i + 1].expand(m),
                                     target_cameras=torch.arange(m))  # [M, 3, H, W]
        rows.append(torch.cat([pixels[i].cpu(), *rendered.cpu()], dim=2))  # [3, H, (M+1)*W]
    grid = torch.cat(rows, dim=1).permute(1, 2, 0).numpy().astype(np.uint8)  # [S*H, (M+1)*W, 3]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path)
    return Path(path)
