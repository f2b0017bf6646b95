"""The embedding model of a configuration: backbone, ImageNet weights, ghost BatchNorm, layout."""

from __future__ import annotations

import torch

from unreid.config.schema import DataConfig, ModelConfig
from unreid.models.embedding_model import EmbeddingModel, build_embedding_model
from unreid.models.ghost_batch_norm import use_ghost_batch_norm
from unreid.models.model_spec import ModelSpec
from unreid.weights.ready_models import load_ready_weights, ready_model_name
from unreid.weights.registry import resolve_pretrained


def model_spec(model: ModelConfig, data: DataConfig) -> ModelSpec:
    """What ``unreid evaluate/extract/...`` need to rebuild the model of a checkpoint."""
    return ModelSpec(backbone=model.backbone, height=data.height, width=data.width,
                     last_stride_one=model.last_stride_one, stride_in_1x1=model.stride_in_1x1,
                     embedding_dim=model.embedding_dim, gem_p=model.gem_p)


def build_model(model: ModelConfig, *, device: torch.device, channels_last: bool) -> EmbeddingModel:
    """The configured model with its ImageNet weights (or a ready model's: ``model.pretrained=market1501``) on ``device``."""
    ready = ready_model_name(model.pretrained) if model.pretrained else None
    net = build_embedding_model(
        backbone=model.backbone,
        pretrained_path=None if ready else resolve_pretrained(model.pretrained, backbone=model.backbone),
        pretrained_download=model.pretrained_download and not ready, last_stride_one=model.last_stride_one,
        stride_in_1x1=model.stride_in_1x1, embedding_dim=model.embedding_dim, gem_p=model.gem_p,
    )
    if ready:  # a warm start: every weight of the embedding model (backbone, GeM exponent, neck)
        configured = ModelSpec(backbone=model.backbone, height=0, width=0, last_stride_one=model.last_stride_one,
                               stride_in_1x1=model.stride_in_1x1, embedding_dim=model.embedding_dim)
        load_ready_weights(net, name=ready, configured=configured)  # input size: checked by validate_config
    use_ghost_batch_norm(net, samples_per_bn=model.samples_per_bn)
    net = net.to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    return net
