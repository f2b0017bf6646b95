from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unreid.data.records import Record
from unreid.generator.camera_style import CameraStyleGenerator
from unreid.generator.manifest import MANIFEST_JSON, generated_name, load_enhancement_set, read_manifest
from unreid.generator.rendering import render_to_folder, target_cameras_for


def _training_set(root: Path, n: int = 6, cameras: int = 3) -> tuple[torch.Tensor, list[Record]]:
    root.mkdir(parents=True)
    pixels = torch.randint(0, 256, (n, 3, 16, 8), dtype=torch.uint8)
    records = []
    for i in range(n):
        path = root / f"{i // 2:04d}_c{i % cameras + 1}s1_000{i}_01.jpg"
        Image.fromarray(pixels[i].permute(1, 2, 0).numpy()).save(path)
        records.append(Record(path, i // 2, i % cameras))
    return pixels, records


def test_every_other_camera_exactly_once() -> None:
    cams = torch.tensor([0, 1, 2, 2])
    source, target = target_cameras_for(cams, num_cameras=3)
    assert source.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    pairs = {(s, t) for s, t in zip(source.tolist(), target.tolist())}
    assert pairs == {(i, t) for i, c in enumerate(cams.tolist()) for t in range(3) if t != c}
    source, target = target_cameras_for(torch.zeros(50, dtype=torch.long), num_cameras=5, per_image=2,
                                        generator=torch.Generator().manual_seed(0))
    grouped = target.view(50, 2)
    assert (grouped != 0).all() and (grouped[:, 0] != grouped[:, 1]).all()
    with pytest.raises(ValueError, match="per_image"):
        target_cameras_for(cams, num_cameras=3, per_image=3)


def test_render_writes_named_jpegs_and_a_manifest_that_loads_back(tmp_path: Path) -> None:
    pixels, records = _training_set(tmp_path / "train")
    colour = CameraStyleGenerator(num_cameras=3)
    colour.fit(pixels, torch.tensor([r.camera_id for r in records]))
    entries = render_to_folder(renderer=colour, pixels=pixels, records=records, out_dir=tmp_path / "gen",
                               progress=False, meta={"kind": "color"})
    assert len(entries) == 12  # 6 images x 2 other cameras
    first = entries[0]
    assert first.generated_path == "0000_c1s1_0000_01_fake_c1toc2.jpg"
    assert first.generated_path == generated_name(records[0].path, source_camera=0, target_camera=1)
    assert all((tmp_path / "gen" / e.generated_path).is_file() for e in entries)
    assert read_manifest(tmp_path / "gen") == entries
    assert (tmp_path / "gen" / MANIFEST_JSON).is_file()

    # training keeps only the first four images: rows of dropped sources are skipped
    enh = load_enhancement_set(folder=tmp_path / "gen", train_records=records[:4], height=16, width=8, progress=False)
    assert enh.pixels.shape == (8, 3, 16, 8)
    for rec, src in zip(enh.records, enh.source_index.tolist()):
        assert rec.person_id == records[src].person_id and rec.camera_id != records[src].camera_id
        assert rec.path.name.startswith(records[src].path.stem + "_fake_")


def test_manifest_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unreid generator render"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="manifest.csv: expected columns"):
        read_manifest(tmp_path)
    pixels, records = _training_set(tmp_path / "train")
    colour = CameraStyleGenerator(num_cameras=3)
    colour.fit(pixels, torch.tensor([r.camera_id for r in records]))
    render_to_folder(renderer=colour, pixels=pixels, records=records, out_dir=tmp_path / "gen", progress=False)
    others = [Record(Path("/elsewhere/x.jpg"), 0, 0)]
    with pytest.raises(ValueError, match="same data.root"):
        load_enhancement_set(folder=tmp_path / "gen", train_records=others, height=16, width=8, progress=False)
    with pytest.raises(ValueError, match="the generator knows 2"):
        render_to_folder(renderer=CameraStyleGenerator(num_cameras=2), pixels=pixels, records=records,
                         out_dir=tmp_path / "bad", progress=False)
    assert np.asarray(Image.open(tmp_path / "train" / records[0].path.name)).shape == (16, 8, 3)
