"""The embedding model of a configuration: backbone, ImageNet weights, ghost BatchNorm, layout."""

from __future__ import annotations

import torch

from unreid.config.schema import DataConfig, ModelConfig
from unreid.models.embedding_model import EmbeddingModel, build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm
from unreid.models.model_spec import ModelSpec
from unreid.weights.registry import resolve_pretrained


def model_spec(model: ModelConfig, data: DataConfig) -> ModelSpec:
    """What ``unreid evaluate/extract/...`` need to rebuild the model of a checkpoint."""
    return ModelSpec(backbone=model.backbone, height=data.height, width=data.width,
                     last_stride_one=model.last_stride_one, stride_in_1x1=model.stride_in_1x1,
                     embedding_dim=model.embedding_dim, gem_p=model.gem_p)


def build_model(model: ModelConfig, *, device: torch.device, channels_last: bool) -> EmbeddingModel:
    """The configured model with its ImageNet weights, on ``device``."""
    net = build_embedding_model(
        backbone=model.backbone, pretrained_path=resolve_pretrained(model.pretrained, backbone=model.backbone),
        pretrained_download=model.pretrained_download, last_stride_one=model.last_stride_one,
        stride_in_1x1=model.stride_in_1x1, embedding_dim=model.embedding_dim, gem_p=model.gem_p,
    )
    use_ghost_batch_norm(net, samples_per_bn=model.samples_per_bn)
    net = net.to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net
