"""The ``data`` section reaches the data set: ``data.folder_camera_level``, ``data.synthetic_seed``,
``data.max_train_images`` (both readers of the training split) and ``data.device_resident``."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
import torch
from PIL import Image

from unreid.cli.dataset_loading import load_split, load_training_split
from unreid.cli.generator_command import _train_images
from unreid.cli.train_run import _decode
from unreid.config.schema import DataConfig, RunConfig, TrainConfig


def _crops(root: Path, names: list[str]) -> Path:
    for name in names:  # distinct pixels: byte-identical copies are read once
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 16), (90, zlib.crc32(name.encode()) % 256, 200)).save(root / name)
    return root


def test_folder_camera_level_picks_the_folder_level_that_names_the_camera(tmp_path: Path) -> None:
    root = _crops(tmp_path, ["north/gate/a.jpg", "north/lobby/b.jpg", "south/lobby/c.jpg"])

    def cameras(level: int) -> dict[str, int]:
        split = load_split(DataConfig(dataset="folder", root=str(root), folder_camera_level=level))
        return {r.path.name: r.camera_id for r in split.train}

    assert load_split(DataConfig(dataset="folder", root=str(root))).notes["cameras"] == "unknown"  # level 0
    assert cameras(1) == {"a.jpg": 0, "b.jpg": 0, "c.jpg": 1}  # north, south
    assert cameras(2) == {"a.jpg": 0, "b.jpg": 1, "c.jpg": 1}  # gate, lobby


def test_synthetic_seed_draws_another_tree_and_the_same_seed_the_same_one(tmp_path: Path) -> None:
    def tree(folder: str, seed: int) -> dict[str, bytes]:
        data = DataConfig(dataset="synthetic", root=str(tmp_path / folder), synthetic_identities=4, synthetic_seed=seed)
        return {r.path.name: r.path.read_bytes() for r in load_split(data).train}

    first = tree("a", 0)
    assert tree("b", 0) == first
    assert tree("c", 1) != first


def test_max_train_images_keeps_the_first_records_in_file_order(tmp_path: Path) -> None:
    root = _crops(tmp_path, [f"cam{1 + i % 2}/{i:03d}.jpg" for i in range(7)])
    every = RunConfig(data=DataConfig(dataset="folder", root=str(root)), train=TrainConfig(device="cpu"))
    capped = RunConfig(data=DataConfig(dataset="folder", root=str(root), max_train_images=3),
                       train=TrainConfig(device="cpu"))
    full = load_training_split(every, validate=False).train
    assert len(full) == 7
    assert load_training_split(capped, validate=False).train == full[:3]
    # `unreid generator train` reads the split on its own path: the same cap
    split, pixels, cameras, _ = _train_images(capped, 16, 8, progress=False)
    assert split.train == full[:3] and pixels.shape == (3, 3, 16, 8) and cameras.shape == (3,)


@pytest.mark.parametrize("resident, bank_device", [(True, "meta"), (False, "cpu")])
def test_device_resident_decodes_onto_the_training_device_or_keeps_the_host(tmp_path: Path, resident: bool,
                                                                             bank_device: str) -> None:
    root = _crops(tmp_path / "crops", [f"cam{1 + i % 2}/{i:03d}.jpg" for i in range(4)])
    config = RunConfig(data=DataConfig(dataset="folder", root=str(root), height=16, width=8, device_resident=resident))
    split = load_split(config.data)
    # the meta device stands in for an accelerator: no memory is allocated there
    _, banks = _decode(config, split, device=torch.device("meta"), progress=False, run_dir=tmp_path, is_main=True)
    assert set(banks) == {"train"}
    assert banks["train"].pixels.device.type == bank_device and banks["train"].pixels.shape == (4, 3, 16, 8)
