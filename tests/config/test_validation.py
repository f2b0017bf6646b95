"""Whole-config validation: every message names the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from unreid.config.loader import load_config
from unreid.config.validation import config_problems, validate_config


def _valid(tmp_path: Path, *more: str) -> list[str]:
    return [f"output_dir={tmp_path / 'run'}", "data.dataset=synthetic", f"data.root={tmp_path / 'syn'}",
            "train.device=cpu", *more]


def test_defaults_with_a_data_root_are_valid(tmp_path: Path) -> None:
    validate_config(load_config(overrides=_valid(tmp_path)))


@pytest.mark.parametrize("override, expected", [
    ("train.lr=-1", "train.lr=-1.0: expected a number in (0.0, 1.0]"),
    ("train.lr=100", "train.lr=100.0: expected a number in (0.0, 1.0]"),
    ("train.lr=.nan", "train.lr=nan"),
    ("train.num_instances=0", "train.num_instances=0: expected an integer >= 1"),
    ("train.epochs=-1", "train.epochs=-1: expected an integer >= 0"),
    ("cluster.eps=5", "cluster.eps=5.0: expected a number in (0.0, 1.0)"),
    ("cluster.eps=0", "cluster.eps=0.0"),
    ("cluster.k2=40", "cluster.k2=40: must not exceed cluster.k1=30"),
    ("cluster.method=faiss", "cluster.method='faiss': valid values are sparse, dense"),
    ("data.bad_files=ignore", "data.bad_files='ignore': valid values are skip, error"),
    ("data.dataset=cuhk", "data.dataset='cuhk': valid values are market1501"),
    ("data.height=4", "data.height=4: expected an integer >= 16"),
    ("model.backbone=not_a_model", "model.backbone='not_a_model': not a timm model name"),
    ("model.backbone=resnet5O", "similar timm names: resnet50"),
    ("model.pretrained=/no/such/weights.pth", "model.pretrained='/no/such/weights.pth': file not found"),
    ("train.amp=fp8", "train.amp='fp8': valid values are auto"),
    ("train.device=tpu", "train.device='tpu'"),
    ("loss.momentum=2", "loss.momentum=2.0: expected a number in [0.0, 1.0]"),
    ("cluster.eps_policy=magic", "cluster.eps_policy='magic': valid values are fixed, schedule, auto"),
    ("loss.positive_pool=none", "loss.positive_pool='none': valid values are all, core, batch"),
    ("loss.intra_mode=far", "loss.intra_mode='far': valid values are query, centroid"),
])
def test_bad_value_is_named_with_its_range(override: str, expected: str, tmp_path: Path) -> None:
    problems = _problems(_valid(tmp_path, override))
    assert any(expected in problem for problem in problems), problems


def _problems(overrides: list[str]) -> list[str]:
    """Choices are refused while loading (the type is an Enum), ranges by the validator: both name the key."""
    try:
        config = load_config(overrides=overrides)
    except ValueError as error:
        return [str(error)]
    return config_problems(config)


def test_every_bad_choice_is_listed_while_loading(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as error:
        load_config(overrides=_valid(tmp_path, "cluster.method=faiss", "train.amp=fp8", "loss.intra_mode=far"))
    assert all(key in str(error.value) for key in ("cluster.method=", "train.amp=", "loss.intra_mode="))


def test_all_problems_are_listed_in_one_error(tmp_path: Path) -> None:
    config = load_config(overrides=_valid(tmp_path, "train.lr=-1", "train.num_instances=0", "model.backbone=x_y"))
    with pytest.raises(ValueError) as error:
        validate_config(config)
    assert all(key in str(error.value) for key in ("train.lr=", "train.num_instances=", "model.backbone="))


def test_missing_data_root_is_named(tmp_path: Path) -> None:
    config = load_config(overrides=_valid(tmp_path, "data.dataset=market1501", f"data.root={tmp_path / 'nope'}"))
    assert any(p.startswith(f"data.root='{tmp_path / 'nope'}'") for p in config_problems(config))


def test_infomap_without_its_package_is_named_with_the_install_command(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    config = load_config(overrides=_valid(tmp_path, "cluster.algorithm=infomap"))
    assert not [p for p in config_problems(config) if "infomap" in p]  # installed with the test dependencies
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "infomap" else real(name, *a))
    problems = [p for p in config_problems(config) if "infomap" in p]
    assert len(problems) == 1 and "pip install 'unreid[infomap]'" in problems[0]
    assert "cluster.algorithm=dbscan" in problems[0]


def test_generated_images_that_would_be_ignored_are_named(tmp_path: Path) -> None:
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "manifest.csv").write_text(
        "generated_path,source_path,source_camera,target_camera\na.png,b.png,0,1\n")
    folder = f"generator.generated_dir={tmp_path / 'gen'}"
    problems = config_problems(load_config(overrides=_valid(tmp_path, folder, "generator.enabled=false")))
    assert any("unused while generator.enabled=false" in p for p in problems)
    problems = config_problems(load_config(overrides=_valid(tmp_path, folder, "generator.enabled=true")))
    assert not any("generated_dir" in p for p in problems)
