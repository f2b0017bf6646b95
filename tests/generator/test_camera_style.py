from __future__ import annotations

from pathlib import Path

import pytest
import torch

from unreid.data.records import Record
from unreid.generator.camera_style import CameraStyleGenerator
from unreid.generator.enhancement_set import generate_enhancement_set


def _two_camera_images() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    base = torch.rand(20, 3, 16, 8)
    cam1 = base.clone()
    cam1[:, 0] = cam1[:, 0] * 0.5 + 0.4  # a reddish, low-contrast camera
    cam1[:, 2] *= 0.6
    pixels = (torch.cat([base, cam1]) * 255).round().clamp(0, 255).to(torch.uint8)
    return pixels, torch.tensor([0] * 20 + [1] * 20)


def test_transfer_moves_colour_statistics_to_target_camera() -> None:
    pixels, cams = _two_camera_images()
    gen = CameraStyleGenerator(num_cameras=2)
    gen.fit(pixels, cams)
    moved = gen.transfer(pixels[:20], source_cameras=cams[:20], target_cameras=torch.ones(20, dtype=torch.long))
    target_mean = pixels[20:].float().mean(dim=(0, 2, 3))
    assert torch.allclose(moved.float().mean(dim=(0, 2, 3)), target_mean, atol=3.0)
    same = gen.transfer(pixels[:20], source_cameras=cams[:20], target_cameras=cams[:20])
    assert (same.int() - pixels[:20].int()).abs().max() <= 1  # identity transfer


def test_enhancement_set_uses_other_cameras_and_keeps_sources() -> None:
    pixels, cams = _two_camera_images()
    records = [Record(Path(f"{i:04d}_c{int(c) + 1}.jpg"), i % 5, int(c)) for i, c in enumerate(cams)]
    gen = CameraStyleGenerator(num_cameras=2)
    gen.fit(pixels, cams)
    enh = generate_enhancement_set(generator=gen, pixels=pixels, records=records, per_image=2)
    assert enh.pixels.shape == (80, 3, 16, 8)
    for rec, src in zip(enh.records, enh.source_index.tolist()):
        assert rec.camera_id != records[src].camera_id
        assert rec.person_id == records[src].person_id
    with pytest.raises(ValueError, match="per_image"):
        generate_enhancement_set(generator=gen, pixels=pixels, records=records, per_image=0)
    with pytest.raises(ValueError, match="at least 2"):
        CameraStyleGenerator(num_cameras=1)
