from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unreid.data.image_bank import ImageBank
from unreid.data.records import Record


def test_decodes_and_resizes(tmp_path: Path) -> None:
    paths = []
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        p = tmp_path / f"{i}.jpg"
        Image.new("RGB", (20, 40), colour).save(p, quality=100)
        paths.append(Record(p, i, i))
    bank = ImageBank(paths, height=16, width=8, progress=False)
    assert bank.pixels.shape == (2, 3, 16, 8) and bank.pixels.dtype == torch.uint8
    assert bank.pixels[0, 0].float().mean() > 240 and bank.pixels[1, 2].float().mean() > 240
    assert bank.camera_ids.tolist() == [0, 1]


def test_bad_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        ImageBank([Record(bad, 1, 0)], height=8, width=4, progress=False)
    with pytest.raises(ValueError, match="missing.jpg"):
        ImageBank([Record(tmp_path / "missing.jpg", 1, 0)], height=8, width=4, progress=False)
    with pytest.raises(ValueError, match="at least one"):
        ImageBank([], height=8, width=4)


def test_append(tmp_path: Path) -> None:
    p = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 4, 3), np.uint8)).save(p)
    bank = ImageBank([Record(p, 1, 0)], height=8, width=4, progress=False)
    bank.append(torch.zeros(2, 3, 8, 4, dtype=torch.uint8), [Record(Path("g0"), 1, 1), Record(Path("g1"), 1, 2)])
    assert len(bank) == 3 and bank.camera_ids.tolist() == [0, 1, 2]
