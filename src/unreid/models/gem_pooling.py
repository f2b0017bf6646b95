"""Generalised-mean (GeM) pooling.

Radenović, Tolias and Chum, "Fine-tuning CNN Image Retrieval with No Human
Annotation", TPAMI 2018.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GeMPooling(nn.Module):
    """``(mean(x^p))^(1/p)`` over the spatial dimensions, with a learnable ``p``.

    ``p = 1`` is average pooling and ``p -> inf`` tends to max pooling.
    """

    def __init__(self, *, p: float = 3.0, eps: float = 1e-6, learnable: bool = True) -> None:
        super().__init__()
        self.p = nn.Parameter(torch.tensor(float(p)), requires_grad=learnable)
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        pooled = x.clamp(min=self.eps).pow(self.p).mean(dim=(-2, -1))  # [B, C, H, W] -> [B, C]
        return pooled.pow(1.0 / self.p)  # [B, C]

    def extra_repr(self) -> str:
        return f"p={self.p.item():.2f}, eps={self.eps}"
