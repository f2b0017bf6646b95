"""``unreid generator train|render`` and ``unreid train --generated`` on a tiny synthetic set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from unreid.cli.dataset_loading import load_split
from unreid.cli.enhancement_building import build_enhancement_set
from unreid.cli.main import main
from unreid.config.loader import load_config
from unreid.data.image_bank import ImageBank
from unreid.generator.manifest import read_manifest


@pytest.fixture(scope="module")
def data_args(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("syn") / "set"
    values = [f"data.root={root}", "data.dataset=synthetic", "data.synthetic_identities=12",
              "data.synthetic_camera_strength=1.0", "data.height=32", "data.width=16", "train.device=cpu",
              "train.threads=1"]
    return [arg for value in values for arg in ("--set", value)]


def test_train_resume_and_render(tmp_path: Path, data_args: list[str]) -> None:
    gen = tmp_path / "gen"
    tiny = ["--out", str(gen), "--no-progress"] + [
        f"--set=generator.training.{kv}" for kv in ("batch_size=2", "height=32", "width=16", "channels=4",
                                                    "residual=0", "sample_every=2", "checkpoint_every=1")]
    assert main(["generator", "train", *data_args, *tiny, "--set=generator.training.steps=2"]) == 0
    assert main(["generator", "train", *data_args, *tiny, "--set=generator.training.steps=3", "--resume"]) == 0
    state = torch.load(gen / "generator.pth", weights_only=False)
    assert state["steps_done"] == 3 and (state["height"], state["width"]) == (32, 16)
    assert sorted(p.name for p in (gen / "samples").iterdir()) == ["step_0000002.png"]

    assert main(["generator", "render", *data_args, "--checkpoint", str(gen / "generator.pth"), "--out",
                 str(tmp_path / "learned"), "--per-image", "1", "--no-progress"]) == 0
    assert main(["generator", "render", *data_args, "--kind", "color", "--out", str(tmp_path / "color"),
                 "--set", "generator.per_image=0", "--no-progress"]) == 0
    assert main(["generator", "render", *data_args, "--kind", "color", "--out", str(tmp_path / "color_default"),
                 "--no-progress"]) == 0
    learned, colour = read_manifest(tmp_path / "learned"), read_manifest(tmp_path / "color")
    assert len(colour) == 5 * len(learned)  # 6 cameras: every other camera vs one
    assert len(read_manifest(tmp_path / "color_default")) == len(learned)  # generator.per_image defaults to 1
    assert json.loads((tmp_path / "learned" / "manifest.json").read_text())["meta"]["kind"] == "learned"
    assert main(["generator", "render", *data_args, "--out", str(tmp_path / "x"), "--no-progress"]) == 2


def test_config_chooses_and_checks_the_generated_images(tmp_path: Path, data_args: list[str]) -> None:
    overrides = data_args[1::2]
    assert main(["generator", "render", *data_args, "--kind", "color", "--out", str(tmp_path / "color"),
                 "--per-image", "2", "--no-progress"]) == 0
    config = load_config(overrides=overrides)
    split = load_split(config.data)
    bank = ImageBank(split.train, height=32, width=16, progress=False)

    def build(*extra: str) -> object:
        cfg = load_config(overrides=overrides + list(extra))
        return build_enhancement_set(cfg.generator, train_records=split.train, train_bank=bank, seed=cfg.train.seed,
                                     run_dir=tmp_path / "run", is_main=True, progress=False)

    assert build("generator.kind=none") is None
    assert build("generator.enabled=false", f"generator.generated_dir={tmp_path / 'color'}") is None
    loaded = build(f"generator.generated_dir={tmp_path / 'color'}")
    assert loaded.pixels.shape == (2 * len(split.train), 3, 32, 16)  # type: ignore[attr-defined]
    fitted = build("generator.kind=color")
    assert fitted.pixels.shape == (len(split.train), 3, 32, 16)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="generated_dir"):
        build("generator.kind=learned")
    with pytest.raises(ValueError, match="valid values are none, color, learned"):
        build("generator.kind=cyclegan")
    with pytest.raises(ValueError, match="generator.levels"):
        build("generator.levels=centre")


@pytest.mark.slow
def test_unreid_train_with_generated_folder(tmp_path: Path, data_args: list[str]) -> None:
    assert main(["generator", "render", *data_args, "--kind", "color", "--out", str(tmp_path / "color"),
                 "--per-image", "1", "--no-progress"]) == 0
    run = ["train", *data_args, "--generated", str(tmp_path / "color"), "--no-progress"]
    for value in (f"output_dir={tmp_path / 'run'}", "model.backbone=resnet10t", "model.samples_per_bn=16",
                  "cluster.k1=6", "cluster.k2=2", "cluster.min_samples=2", "cluster.eps=0.7", "train.epochs=1",
                  "train.iterations=2", "train.num_identities=2", "train.num_instances=4", "train.amp=none",
                  "train.channels_last=false", "generator.batch_fraction=0.5", "generator.levels=centroid",
                  "eval.batch_size=64", "eval.grid_queries=2", "generator.enabled=false"):
        run += ["--set", value]  # --generated turns generator.enabled back on (--config market1501 has it off)
    assert main(run) == 0
    assert (tmp_path / "run" / "generated_examples.png").is_file()
    row = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[0])
    assert "loss_generated" in row
