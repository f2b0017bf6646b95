"""BatchNorm statistics over sub-batches ("ghost" batch norm).

Reference implementations of cluster-contrast re-ID are trained with
``nn.DataParallel`` on four GPUs, so each BatchNorm layer sees 64 of the 256
images of a batch. On one GPU the same batch gives BatchNorm statistics over all
256 images, which mixes identities and costs a lot of mAP. :func:`use_ghost_batch_norm`
makes every BatchNorm layer of a model normalise each group of ``samples_per_bn``
images with that group's own statistics, reproducing the multi-GPU behaviour in
one large forward pass.

Only the normalisation is replaced: evaluation mode, and batches that do not split
into whole groups, run the layer's own ``forward``; BatchNorm subclasses that do
more than normalise (timm's ``BatchNormAct2d`` applies dropout and an activation
inside ``forward``) keep that extra work after the grouped normalisation.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_PLAIN_FORWARDS = {nn.modules.batchnorm._BatchNorm.forward, nn.BatchNorm1d.forward, nn.BatchNorm2d.forward,
                   nn.BatchNorm3d.forward}


def _momentum(bn: nn.modules.batchnorm._BatchNorm) -> float:
    """The running-average factor of this step (``momentum=None``: cumulative average, as torch does)."""
    if bn.momentum is not None:
        return float(bn.momentum)
    tracked = int(bn.num_batches_tracked) if bn.num_batches_tracked is not None else 1
    return 1.0 / max(tracked, 1)


def _running_buffers(bn: nn.modules.batchnorm._BatchNorm) -> tuple[Tensor, Tensor] | None:
    """``(running_mean, running_var)`` where the layer tracks them, else ``None``."""
    if not bn.track_running_stats or bn.running_mean is None or bn.running_var is None:
        return None
    return bn.running_mean, bn.running_var


def _grouped_normalise(bn: nn.modules.batchnorm._BatchNorm, x: Tensor, samples_per_bn: int) -> Tensor:
    """Normalise each group of ``samples_per_bn`` rows of ``x`` ``[B, C, ...]`` by its own statistics.

    The groups are folded into the channel dimension, so each (group, channel) pair is one channel
    of torch's own batch-norm kernel (about a fifth faster per training step than composing the
    mean, variance and scaling by hand, and equal to it within float rounding).
    """
    batch, channels = x.shape[0], x.shape[1]
    groups = batch // samples_per_bn
    xg = x.reshape(groups, samples_per_bn, channels, -1).transpose(0, 1)  # [S, G, C, L]
    xg = xg.reshape(samples_per_bn, groups * channels, -1)  # [S, G*C, L]
    weight = bn.weight.float().repeat(groups) if bn.weight is not None else None  # [G*C]
    bias = bn.bias.float().repeat(groups) if bn.bias is not None else None  # [G*C]
    # statistics in float32 whatever autocast says; the output in x's dtype promoted with the affine weights'
    # (float32 after a float16 convolution under autocast, as this module always gave: float16 activations
    # here let a GradScaler's scaled gradients overflow at every step of a tiny fp16 run)
    out_dtype = torch.promote_types(x.dtype, bn.weight.dtype) if bn.weight is not None else x.dtype
    buffers = _running_buffers(bn)
    # the kernel's own running statistics, one per (group, channel): their mean over the groups is the layer's
    # running-average step with the groups' mean statistics, so the activations are read once
    grouped = None if buffers is None else (buffers[0].float().repeat(groups), buffers[1].float().repeat(groups))
    group_mean, group_var = grouped if grouped is not None else (None, None)  # [G*C] each
    if buffers is not None and bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)  # before the factor, as torch counts (momentum=None: 1 / batches seen)
    momentum = _momentum(bn) if buffers is not None else 0.0
    with torch.autocast(device_type=x.device.type, enabled=False):
        y = F.batch_norm(xg.float(), group_mean, group_var, weight, bias, training=True, momentum=momentum,
                         eps=bn.eps)  # [S, G*C, L]
    y = y.to(out_dtype).reshape(samples_per_bn, groups, channels, -1).transpose(0, 1).reshape(x.shape)  # as x
    if buffers is not None and grouped is not None:
        with torch.no_grad():
            for buffer, per_group in zip(buffers, grouped, strict=True):
                buffer.copy_(per_group.view(groups, channels).mean(0))  # [C]
    return y


def _after_normalisation(bn: nn.modules.batchnorm._BatchNorm) -> Callable[[Tensor], Tensor] | None:
    """What ``bn``'s own ``forward`` does after normalising (identity for torch's classes), else ``None``."""
    forward = type(bn).forward
    if forward in _PLAIN_FORWARDS:
        return lambda y: y
    drop, act = getattr(bn, "drop", None), getattr(bn, "act", None)
    if isinstance(drop, nn.Module) and isinstance(act, nn.Module):  # timm's BatchNormAct2d: norm -> drop -> act
        return lambda y: act(drop(y))
    return None


class _GhostForward:
    """Picklable replacement ``forward`` bound to one BatchNorm layer."""

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm, samples_per_bn: int) -> None:
        self.bn = bn
        self.samples_per_bn = samples_per_bn

    def __call__(self, x: Tensor) -> Tensor:
        bn = self.bn
        batch = x.shape[0]
        if not bn.training or batch < self.samples_per_bn or batch % self.samples_per_bn:
            return type(bn).forward(bn, x)  # the layer's own forward, activation and all
        # One group (batch == samples_per_bn) also takes the grouped path: the same arithmetic as a
        # larger batch of several groups, so one process and DDP ranks agree to rounding.
        after = _after_normalisation(bn)
        assert after is not None  # checked by use_ghost_batch_norm
        return after(_grouped_normalise(bn, x, self.samples_per_bn))


def use_ghost_batch_norm(model: nn.Module, *, samples_per_bn: int) -> int:
    """Make every BatchNorm layer of ``model`` use statistics over ``samples_per_bn`` images.

    Training batches that are not a multiple of ``samples_per_bn`` (or smaller) and
    evaluation mode run each layer's own ``forward``, unchanged. Returns the number of
    layers changed; ``samples_per_bn <= 0`` changes nothing (plain BatchNorm).

    Raises:
        ValueError: a BatchNorm subclass overrides ``forward`` in a way this module does not
            know (it would lose whatever that ``forward`` adds); the message names the class.
    """
    if samples_per_bn <= 0:
        return 0
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    unknown = sorted({type(m).__qualname__ for m in layers if _after_normalisation(m) is None})
    if unknown:
        raise ValueError(f"ghost BatchNorm does not know what {unknown} add to BatchNorm in forward; "
                         "set model.samples_per_bn=0 (plain BatchNorm) for this backbone")
    for module in layers:
        module.forward = _GhostForward(module, samples_per_bn)  # type: ignore[method-assign,assignment]
    return len(layers)
