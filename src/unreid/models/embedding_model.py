"""The re-ID embedding model: backbone -> GeM -> BatchNorm neck -> L2 normalisation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

import torch.nn.functional as F
from torch import Tensor, nn

from unreid.models.gem_pooling import GeMPooling


class EmbeddingModel(nn.Module):
    """Maps images ``[B, 3, H, W]`` to L2-normalised embeddings ``[B, D]``.

    The output never depends on a loss: training and inference both get embeddings.
    The BatchNorm neck (Luo et al., "Bag of Tricks and A Strong Baseline for Deep
    Person Re-identification", CVPRW 2019) has a frozen zero bias, as in Cluster
    Contrast (Dai et al., ACCV 2022).

    Args:
        backbone: a timm model whose ``forward_features`` gives ``[B, C, h, w]``.
        num_features: ``C``.
        embedding_dim: optional linear projection to ``D``; ``0`` keeps ``D = C``.
        gem_p: initial GeM exponent (``1`` is average pooling).
    """

    def __init__(self, *, backbone: nn.Module, num_features: int, embedding_dim: int = 0, gem_p: float = 3.0) -> None:
        super().__init__()
        self.backbone = backbone
        self.pool = GeMPooling(p=gem_p)
        self.projection = nn.Linear(num_features, embedding_dim, bias=False) if embedding_dim > 0 else nn.Identity()
        self.embedding_dim = embedding_dim if embedding_dim > 0 else num_features
        self.neck = nn.BatchNorm1d(self.embedding_dim)
        nn.init.ones_(self.neck.weight)
        nn.init.zeros_(self.neck.bias)
        self.neck.bias.requires_grad_(False)

    def forward(self, images: Tensor) -> Tensor:
        forward_features = cast(Callable[[Tensor], Tensor], self.backbone.forward_features)  # timm's contract
        fmap = forward_features(images)  # [B, 3, H, W] -> [B, C, h, w]
        pooled = self.projection(self.pool(fmap))  # [B, C, h, w] -> [B, D]
        return F.normalize(self.neck(pooled.float()), dim=1)  # [B, D], unit length


def build_embedding_model(
    *,
    backbone: str = "resnet50",
    pretrained_path: Path | None = None,
    pretrained_download: bool = False,
    last_stride_one: bool = True,
    stride_in_1x1: bool = False,
    embedding_dim: int = 0,
    gem_p: float = 3.0,
) -> EmbeddingModel:
    """Build an :class:`EmbeddingModel` on a timm backbone.

    Args:
        backbone: timm model name (``resnet50`` default; ``resnet18``/``resnet10t`` for CPU runs).
        pretrained_path: local ImageNet weights with torchvision key names, or ``None``.
        pretrained_download: fetch weights through timm's usual download instead.
        last_stride_one: ResNet last stage without stride (16x8 maps at 256x128 input).
        stride_in_1x1: ResNet "v1" layout, for weights converted from Keras.
        embedding_dim: optional projection size; ``0`` keeps the backbone's width.
        gem_p: initial GeM exponent.
    """
    from unreid.models.backbone import PretrainedSource, build_backbone

    if pretrained_path is not None:
        source = PretrainedSource.FILE
    elif pretrained_download:
        source = PretrainedSource.DOWNLOAD
    else:
        source = PretrainedSource.NONE
    net, width = build_backbone(
        name=backbone, pretrained=source, pretrained_path=pretrained_path,
        last_stride_one=last_stride_one, stride_in_1x1=stride_in_1x1,
    )
    return EmbeddingModel(backbone=net, num_features=width, embedding_dim=embedding_dim, gem_p=gem_p)
