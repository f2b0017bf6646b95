from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from unreid.data.market1501 import load_market1501
from unreid.data.registry import load_dataset
from unreid.data.synthetic import (
    MARKER_NAME,
    SyntheticConfig,
    dataset_tree,
    make_synthetic_pedestrians,
)
from unreid.data.synthetic.cameras import draw_cameras
from unreid.data.synthetic.image_rendering import render_image
from unreid.data.synthetic.layout import plan_jobs

TINY = SyntheticConfig(num_identities=8, num_cameras=3, cameras_per_identity=(2, 3), height=64, width=32, seed=3)
NAME = re.compile(r"^(?P<pid>-1|\d{4})_c(?P<cam>\d)s1_\d{6}_\d{2}\.jpg$")
FOLDERS = ("bounding_box_train", "query", "bounding_box_test")


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.jpg"))


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic_pedestrians(root=tmp_path_factory.mktemp("syn") / "tiny", config=TINY)


def test_same_seed_same_bytes_other_seed_differs(tiny_root: Path, tmp_path: Path) -> None:
    again = make_synthetic_pedestrians(root=tmp_path / "again", config=TINY)
    files = _files(tiny_root)
    assert files and files == _files(again)
    assert all((tiny_root / name).read_bytes() == (again / name).read_bytes() for name in files)
    other = make_synthetic_pedestrians(root=tmp_path / "other", config=dataclasses.replace(TINY, seed=4))
    assert _files(other) != files
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in tiny_root.rglob("*.jpg")}
    assert not digests & {hashlib.sha256(p.read_bytes()).hexdigest() for p in other.rglob("*.jpg")}


PINNED = SyntheticConfig(num_identities=6, num_cameras=3, cameras_per_identity=(2, 3), height=32, width=16, seed=7,
                         camera_strength=0.5)
PINNED_SHA256 = "3cd180332a24f37a9024ed854765e4bb0ad994b83ecb86faa8fcae111ed417d3"


def test_drawing_is_pinned() -> None:
    """File names, JPEG qualities and pixels (before JPEG, which depends on libjpeg) of a tiny set.

    The value was computed before ``synthetic.py`` was split into a package. If a change to the
    drawing is intended, bump ``GENERATOR_VERSION`` (cached sets are then redrawn) and update it.
    """
    cameras, jobs = draw_cameras(PINNED), plan_jobs(PINNED)
    digest = hashlib.sha256()
    for job in jobs:
        digest.update(f"{job.subset}/{job.file_name}:{cameras[job.camera].jpeg_quality}\n".encode())
        digest.update(np.asarray(render_image(job, cameras[job.camera], PINNED)).tobytes())
    assert (len(jobs), digest.hexdigest()) == (40, PINNED_SHA256)


def test_market_layout_and_names(tiny_root: Path) -> None:
    assert sorted(p.name for p in tiny_root.iterdir()) == sorted([*FOLDERS, MARKER_NAME])
    for folder in FOLDERS:
        names = [p.name for p in (tiny_root / folder).iterdir()]
        assert names, folder
        for name in names:
            match = NAME.match(name)
            assert match, name
            assert 1 <= int(match["cam"]) <= TINY.num_cameras
    with Image.open(next((tiny_root / "query").iterdir())) as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (TINY.width, TINY.height)
    gallery_ids = {int(NAME.match(p.name)["pid"]) for p in (tiny_root / "bounding_box_test").iterdir()}
    assert {0, -1} <= gallery_ids  # distractors and junk
    train_ids = {int(NAME.match(p.name)["pid"]) for p in (tiny_root / "bounding_box_train").iterdir()}
    assert train_ids == set(range(1, TINY.num_identities // 2 + 1))


def test_train_and_test_identities_are_disjoint(tiny_root: Path) -> None:
    split = load_market1501(tiny_root)
    train = {r.person_id for r in split.train}
    test = {r.person_id for r in split.query} | {r.person_id for r in split.gallery} - {0}
    assert train and test and not train & test
    assert len(train) + len({r.person_id for r in split.query}) == TINY.num_identities


def test_one_query_per_identity_camera_with_cross_camera_match(tiny_root: Path) -> None:
    split = load_market1501(tiny_root)
    pairs = [(r.person_id, r.camera_id) for r in split.query]
    assert len(pairs) == len(set(pairs))
    gallery_cams: dict[int, set[int]] = defaultdict(set)
    for r in split.gallery:
        gallery_cams[r.person_id].add(r.camera_id)
    for pid, cam in pairs:
        assert gallery_cams[pid] - {cam}, f"query {pid} in camera {cam} has no cross-camera gallery match"


def test_marker_caches_and_overwrite_redraws(tmp_path: Path) -> None:
    config = SyntheticConfig(num_identities=4, num_cameras=2, cameras_per_identity=(2, 2), height=32, width=16)
    root = make_synthetic_pedestrians(root=tmp_path / "set", config=config)
    marker = json.loads((root / MARKER_NAME).read_text())
    assert marker["config"] == config.to_json()
    sample = next((root / "query").iterdir())
    sample.write_bytes(b"edited")
    make_synthetic_pedestrians(root=root, config=config)  # cached: left alone
    assert sample.read_bytes() == b"edited"
    make_synthetic_pedestrians(root=root, config=config, overwrite=True)
    assert sample.read_bytes() != b"edited"
    sample.write_bytes(b"edited")
    make_synthetic_pedestrians(root=root, config=dataclasses.replace(config, seed=1))
    assert not sample.exists() or sample.read_bytes() != b"edited"  # another config replaces the set
    assert [p.name for p in tmp_path.iterdir()] == ["set"]  # no temporary folders left behind


def test_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="non-empty folder"):
        make_synthetic_pedestrians(root=tmp_path / "mine", config=SyntheticConfig(num_identities=2, height=32,
                                                                                 width=16))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_interrupted_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = dataset_tree.render_image

    def failing(*args: object, **kwargs: object) -> Image.Image:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dataset_tree, "render_image", failing)
    with pytest.raises(KeyboardInterrupt):
        make_synthetic_pedestrians(root=tmp_path / "set", config=TINY)
    assert list(tmp_path.iterdir()) == []


def test_registry_loads_the_set(tiny_root: Path) -> None:
    split = load_dataset("synthetic", tiny_root, config=TINY)
    assert split.name == "synthetic" and split.train and split.query and split.gallery


@pytest.mark.parametrize(("changes", "field"), [
    ({"num_cameras": 1, "cameras_per_identity": (1, 1)}, "num_cameras"),
    ({"num_cameras": 3, "cameras_per_identity": (2, 4)}, "cameras_per_identity"),
    ({"cameras_per_identity": (1, 3)}, "cameras_per_identity"),
    ({"images_per_identity_camera": (3, 2)}, "images_per_identity_camera"),
    ({"images_per_identity_camera": (0, 2)}, "images_per_identity_camera"),
    ({"num_identities": 1}, "num_identities"),
    ({"height": 8}, "height"),
    ({"seed": -1}, "seed"),
])
def test_bad_config_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SyntheticConfig(**changes)  # type: ignore[arg-type]
