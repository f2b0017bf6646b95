from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from unreid.config.loader import load_config, save_config


def test_precedence_defaults_yaml_then_set(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  epochs: 7\n  lr: 0.001\nloss:\n  inter: false\n")
    cfg = load_config(files=[f], overrides=["train.epochs=3", "cluster.eps=0.5", "model.backbone=resnet18"])
    assert cfg.train.epochs == 3 and cfg.train.lr == 0.001 and cfg.loss.inter is False
    assert cfg.cluster.eps == 0.5 and cfg.model.backbone == "resnet18"
    assert cfg.train.iterations == 200  # default untouched
    out = tmp_path / "resolved.yaml"
    save_config(cfg, out)
    assert yaml.safe_load(out.read_text())["train"]["epochs"] == 3


@pytest.mark.parametrize(
    "override, message",
    [("train.epoch=3", "unknown config key 'train.epoch'"), ("train.epochs=many", "expected an integer"),
     ("loss.inter=maybe", "true/false"), ("epochs", "section.key=value")],
)
def test_bad_overrides_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_config(overrides=[override])


def test_missing_and_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        load_config(files=[tmp_path / "nope.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    with pytest.raises(ValueError, match="mapping"):
        load_config(files=[bad])


def test_packaged_configs_load_and_hold_only_differences() -> None:
    import dataclasses

    from unreid.config import RunConfig, packaged_configs, resolve_config_file
    from unreid.config.loader import config_to_dict, read_config_file

    names = packaged_configs()
    assert {"market1501", "msmt17", "synthetic_cpu"} <= set(names)
    defaults = config_to_dict(RunConfig())
    for name in names:
        load_config(files=[resolve_config_file(name)])
        for section, values in read_config_file(name).items():
            if isinstance(values, dict):
                same = [k for k, v in values.items() if not isinstance(v, dict) and defaults[section][k] == v]
                assert not same, f"{name}.yaml repeats the defaults of {section}: {same}"
    assert dataclasses.is_dataclass(RunConfig())


def test_packaged_config_by_name() -> None:
    from unreid.config.loader import load_config

    config = load_config(files=["market1501"])  # type: ignore[list-item]
    assert config.model.backbone == "resnet50" and config.output_dir == "runs/market1501"
    with pytest.raises(ValueError, match="packaged configs: .*synthetic_cpu"):
        load_config(files=["no_such_config"])  # type: ignore[list-item]


def test_accuracy_options_are_validated_with_their_keys() -> None:
    from unreid.config.validation import config_problems

    with pytest.raises(ValueError) as error:
        load_config(overrides=["loss.intra_mode=farthest", "loss.positive_pool=nope", "cluster.eps_policy=magic"])
    for key in ("loss.intra_mode", "loss.positive_pool", "cluster.eps_policy"):
        assert key in str(error.value)
    assert "query, centroid" in str(error.value) and "fixed, schedule, auto" in str(error.value)
    problems = "\n".join(config_problems(load_config(overrides=["cluster.auto_rho=0", "loss.ramp_epochs=-1"])))
    assert "cluster.auto_rho" in problems and "loss.ramp_epochs" in problems


def test_a_config_yaml_written_by_0_1_0_still_loads() -> None:
    """``config.yaml`` of a run made before the schema (unreid 0.1.0, dataclasses in cli/config.py)."""
    old = Path(__file__).parent / "data" / "config_written_by_0.1.0.yaml"
    config = load_config(files=[old])
    assert config.train.epochs == 7 and config.loss.intra_mode.value == "centroid"
    assert config.data.bad_files.value == "error" and config.model.stride_in_1x1 is True
    assert config.generator.training.steps == 20_000  # a section that file predates keeps its defaults


def test_a_renamed_key_is_refused_with_its_new_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import unreid.config.loader as loader

    monkeypatch.setitem(loader.RENAMED, "train.epoch_count", "train.epochs")
    with pytest.raises(ValueError, match="'train.epoch_count' was renamed to 'train.epochs'"):
        load_config(overrides=["train.epoch_count=3"])
