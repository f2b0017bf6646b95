"""The ``model`` section reaches the built model: ``model.last_stride_one``, ``model.gem_p``,
``model.pretrained_download``."""

from __future__ import annotations

from typing import Any

import pytest
import timm
import torch
from torch import nn

from unreid.cli.model_building import build_model
from unreid.config.schema import ModelConfig
from unreid.models.backbone import feature_map_size
from unreid.models.embedding_model import EmbeddingModel

CPU = torch.device("cpu")


def _model(**model: object) -> EmbeddingModel:
    config = ModelConfig(backbone="resnet10t", samples_per_bn=0, **model)  # type: ignore[arg-type]
    return build_model(config, device=CPU, channels_last=False)


def test_last_stride_one_doubles_the_final_feature_map() -> None:
    strided = _model(last_stride_one=False)
    unstrided = _model(last_stride_one=True)
    assert feature_map_size(strided.backbone, height=64, width=32) == (2, 1)  # stride 32
    assert feature_map_size(unstrided.backbone, height=64, width=32) == (4, 2)  # stride 16


@pytest.mark.parametrize("gem_p", [1.0, 2.0, 4.5])
def test_gem_p_is_the_exponent_of_the_pooling(gem_p: float) -> None:
    pool = _model(gem_p=gem_p).pool
    fmap = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 2, 2)  # [1, 1, 2, 2]
    expected = ((1 + 2**gem_p + 3**gem_p + 4**gem_p) / 4) ** (1 / gem_p)  # GeM: (mean x^p)^(1/p)
    assert pool.p.item() == gem_p
    assert pool(fmap).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("download", [True, False])
def test_pretrained_download_asks_timm_for_its_weights(monkeypatch: pytest.MonkeyPatch, download: bool) -> None:
    asked: list[bool] = []
    create = timm.create_model

    def offline(name: str, *, pretrained: bool = False, **kwargs: Any) -> nn.Module:
        asked.append(pretrained)
        return create(name, pretrained=False, **kwargs)  # no network here: what was asked is the effect

    monkeypatch.setattr(timm, "create_model", offline)
    _model(pretrained_download=download)
    assert asked == [download]
