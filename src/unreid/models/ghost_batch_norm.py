"""BatchNorm statistics over sub-batches ("ghost" batch norm).

Reference implementations of cluster-contrast re-ID are trained with
``nn.DataParallel`` on four GPUs, so each BatchNorm layer sees 64 of the 256
images of a batch. On one GPU the same batch gives BatchNorm statistics over all
256 images, which mixes identities and costs a lot of mAP. :func:`use_ghost_batch_norm`
makes every BatchNorm layer of a model normalise each group of ``samples_per_bn``
images with that group's own statistics, reproducing the multi-GPU behaviour in
one large forward pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _ghost_batch_norm(bn: nn.modules.batchnorm._BatchNorm, x: Tensor, samples_per_bn: int) -> Tensor:
    batch = x.shape[0]
    if not bn.training or samples_per_bn <= 0 or batch <= samples_per_bn or batch % samples_per_bn:
        return F.batch_norm(
            x, bn.running_mean, bn.running_var, bn.weight, bn.bias,
            bn.training or not bn.track_running_stats, bn.momentum if bn.momentum is not None else 0.1, bn.eps,
        )
    groups = batch // samples_per_bn
    channels = x.shape[1]
    # Fold the groups into the channel dimension: each (group, channel) pair gets its own statistics.
    xg = x.reshape(groups, samples_per_bn, channels, -1).transpose(0, 1)  # [S, G, C, L]
    xg = xg.reshape(samples_per_bn, groups * channels, -1)  # [S, G*C, L]
    mean_g = xg.mean(dim=(0, 2))  # [G*C]
    var_g = xg.var(dim=(0, 2), unbiased=False)  # [G*C]
    y = (xg - mean_g[None, :, None]) * torch.rsqrt(var_g[None, :, None] + bn.eps)  # [S, G*C, L]
    y = y.reshape(samples_per_bn, groups, channels, -1).transpose(0, 1).reshape(x.shape)  # back to x's shape
    shape = (1, channels) + (1,) * (x.dim() - 2)
    if bn.weight is not None:
        y = y * bn.weight.view(shape) + bn.bias.view(shape)
    if bn.track_running_stats and bn.running_mean is not None and bn.running_var is not None:
        with torch.no_grad():
            count = samples_per_bn * xg.shape[-1]
            mean_c = mean_g.view(groups, channels).mean(0)  # [C]
            var_c = (var_g * count / max(count - 1, 1)).view(groups, channels).mean(0)  # unbiased, [C]
            momentum = bn.momentum if bn.momentum is not None else 0.1
            bn.running_mean.lerp_(mean_c.to(bn.running_mean.dtype), momentum)
            bn.running_var.lerp_(var_c.to(bn.running_var.dtype), momentum)
            if bn.num_batches_tracked is not None:
                bn.num_batches_tracked.add_(1)
    return y


class _GhostForward:
    """Picklable replacement ``forward`` bound to one BatchNorm layer."""

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm, samples_per_bn: int) -> None:
        self.bn = bn
        self.samples_per_bn = samples_per_bn

    def __call__(self, x: Tensor) -> Tensor:
        return _ghost_batch_norm(self.bn, x, self.samples_per_bn)


def use_ghost_batch_norm(model: nn.Module, *, samples_per_bn: int) -> int:
    """Make every BatchNorm layer of ``model`` use statistics over ``samples_per_bn`` images.

    Batches that are not a multiple of ``samples_per_bn`` (or not larger) fall back
    to ordinary BatchNorm; evaluation mode is unchanged. Returns the number of
    layers changed. ``samples_per_bn <= 0`` changes nothing.
    """
    if samples_per_bn <= 0:
        return 0
    changed = 0
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.forward = _GhostForward(module, samples_per_bn)  # type: ignore[method-assign]
            changed += 1
    return changed
