"""ImageNet weights are one table by backbone name; an entry registered outside the package is fetched by
``unreid weights``, chosen by ``model.pretrained=imagenet`` and trains a tiny run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import timm
import torch

from tiny_trainer import tiny_trainer
from unreid.cli.main import main
from unreid.cli.model_building import build_model
from unreid.config.loader import load_config
from unreid.config.schema import ModelConfig
from unreid.config.validation import config_problems
from unreid.weights.registry import (
    IMAGENET_WEIGHTS,
    FetchedWeights,
    WeightsRequest,
    fetch_weights,
    imagenet_weights,
    weights_names,
)
from unreid.weights.sha256_cache import sha256_of_file

requests: list[WeightsRequest] = []


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[Path]:
    """``resnet10t`` weights (seeded random, timm key names) written into the asked cache (default ``tmp_path``)."""
    requests.clear()

    def resnet10t(request: WeightsRequest) -> FetchedWeights:
        requests.append(request)
        path = (request.cache_dir or tmp_path) / "resnet10t_test.pth"
        torch.manual_seed(7)
        torch.save(timm.create_model("resnet10t", num_classes=0).state_dict(), path)
        return FetchedWeights(path, sha256_of_file(path), {"source": "test (seeded random)"})

    with IMAGENET_WEIGHTS.temporarily("resnet10t", resnet10t):
        yield tmp_path / "resnet10t_test.pth"


def test_the_built_in_backbones_are_one_table() -> None:
    assert set(weights_names()) == {"resnet50", "tf_efficientnet_lite0", "mobilenetv2_100"}


def test_a_registered_entry_is_fetched_listed_and_reported_by_the_cli(registered: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    assert main(["weights", "--name", "resnet10t", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    path = cache / "resnet10t_test.pth"
    assert f"path     {path}" in out and f"sha256   {sha256_of_file(path)}" in out
    assert "source   test (seeded random)" in out and requests == [WeightsRequest(cache_dir=cache)]
    assert main(["weights", "--list"]) == 0
    assert "resnet10t" in capsys.readouterr().out.split("ImageNet weights")[1]


def test_a_registered_entry_is_chosen_by_the_configuration_and_trains_a_tiny_run(registered: Path) -> None:
    config = load_config(overrides=["model.backbone=resnet10t", "model.pretrained=imagenet"])
    assert not [p for p in config_problems(config) if p.startswith("model.")]
    model = build_model(config.model, device=torch.device("cpu"), channels_last=False)
    assert imagenet_weights(backbone="resnet10t") == registered and len(requests) == 2
    saved = torch.load(registered)
    assert torch.equal(model.backbone.state_dict()["conv1.0.weight"], saved["conv1.0.weight"])
    history = tiny_trainer(model=model).fit()
    assert len(history) == 1 and history[0]["clusters"] == 3


def test_an_unknown_backbone_lists_the_known_ones(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match=r"no ImageNet weights known for backbone 'resnet10t'; `unreid weights --name` "
                                         r"knows mobilenetv2_100, resnet50, tf_efficientnet_lite0; or set model.pretrained"):
        fetch_weights("resnet10t")
    with caplog.at_level(logging.ERROR, logger="unreid"):
        assert main(["weights", "--name", "resnet10t"]) == 2  # a usage error, before any download
    assert ("--name 'resnet10t'; valid names: mobilenetv2_100, resnet50, tf_efficientnet_lite0"
            in [r.getMessage() for r in caplog.records])
    problems = config_problems(load_config(overrides=["model.backbone=resnet10t", "model.pretrained=imagenet"]))
    assert ("model.pretrained=imagenet: no ImageNet weights known for model.backbone='resnet10t'; known: "
            "['mobilenetv2_100', 'resnet50', 'tf_efficientnet_lite0']") in problems
    assert ModelConfig().pretrained == ""  # nothing is fetched unless asked
