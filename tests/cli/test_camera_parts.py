"""Without cameras, every camera-aware part is switched off, and one log line names them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from unreid.cli.camera_parts import switch_off_camera_parts
from unreid.config.schema import RunConfig
from unreid.data.records import Record
from unreid.generator.generator_kind import GeneratorKind
from unreid.losses.multilevel_contrastive import PositivePool


def _camera_aware() -> RunConfig:
    config = RunConfig()
    config.loss.camera_entropy_weight = True
    config.loss.positive_pool = PositivePool.OTHER_CAMERA
    config.cluster.camera_centering = True
    config.train.camera_aware = True
    config.generator.enabled = True
    return config


def _records(cameras: list[int]) -> list[Record]:
    return [Record(Path(f"{i}.jpg"), -1, cam) for i, cam in enumerate(cameras)]


def test_one_camera_switches_every_camera_aware_part_off_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    requested = _camera_aware()
    with caplog.at_level(logging.WARNING):
        config, switched = switch_off_camera_parts(requested, train_records=_records([0, 0, 0]))
    assert switched == ["loss.camera_entropy_weight=false", "loss.positive_pool=all", "cluster.camera_centering=false",
                        "train.camera_aware=false", "generator.enabled=false"]
    assert (config.loss.camera_entropy_weight, config.loss.positive_pool, config.cluster.camera_centering,
            config.train.camera_aware, config.generator.enabled) == (False, PositivePool.ALL, False, False, False)
    assert requested.loss.camera_entropy_weight and requested.generator.enabled  # the request is not modified
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert all(key in line for key in switched) and "cameras unknown" in line


def test_two_cameras_or_nothing_camera_aware_change_nothing(caplog: pytest.LogCaptureFixture) -> None:
    config = _camera_aware()
    assert switch_off_camera_parts(config, train_records=_records([0, 1])) == (config, [])
    plain = RunConfig()
    plain.generator.kind = GeneratorKind.NONE
    with caplog.at_level(logging.WARNING):
        assert switch_off_camera_parts(plain, train_records=_records([0])) == (plain, [])
    assert not caplog.records  # nothing to switch off: nothing said
