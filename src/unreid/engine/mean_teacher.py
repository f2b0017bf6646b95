"""Mean teacher: an exponential moving average of the trained model.

Tarvainen and Valpola, "Mean teachers are better role models", NeurIPS 2017; in
unsupervised re-ID, MMT (Ge, Chen and Li, ICLR 2020) clusters and evaluates its mean
networks: the averaged model moves slowly, so it carries less of one batch's noise into
the next epoch's pseudo-labels.

After every optimiser step :meth:`MeanTeacher.update` sets each parameter to
``t <- m * t + (1 - m) * s`` through torch's :class:`~torch.optim.swa_utils.AveragedModel`
with :func:`~torch.optim.swa_utils.get_ema_multi_avg_fn` (one ``foreach`` lerp per device
and dtype). Floating-point buffers (BatchNorm running means and variances) follow the same
average, as in timm's ``ModelEmaV2``; integer buffers (``num_batches_tracked``) are copied,
which torch's EMA function would instead average and truncate. The teacher is never trained
or run in train mode: its BatchNorm statistics are only the average of the student's.

When a teacher is on, the trainer clusters the teacher's features, evaluates it, and
saves it as ``model.pth``; ``last.pth`` keeps both the student (``model``, so
``--resume`` continues exactly) and the teacher (``teacher``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

logger = logging.getLogger(__name__)


_Tensors = tuple[Tensor, ...] | list[Tensor]


def _ema_floats_copy_integers(momentum: float) -> Callable[[_Tensors, _Tensors, Tensor | int], None]:
    """``AveragedModel``'s ``multi_avg_fn``: torch's EMA for a floating-point group, a copy for an integer one."""
    ema = get_ema_multi_avg_fn(momentum)

    @torch.no_grad()
    def average(teacher: _Tensors, student: _Tensors, n_averaged: Tensor | int) -> None:
        if teacher[0].is_floating_point():  # groups share one dtype
            ema(list(teacher), list(student), n_averaged)
        else:
            torch._foreach_copy_(list(teacher), list(student))

    return average


class MeanTeacher:
    """An EMA copy of ``student`` with momentum ``m`` (e.g. 0.999), updated in place by :meth:`update`.

    Args:
        student: the model being trained (its parameters are read after each step).
        momentum: ``m`` in ``[0, 1)``; 0 makes the teacher a copy of the student.
    """

    def __init__(self, student: nn.Module, *, momentum: float) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"train.teacher_momentum={momentum}: must lie in [0, 1)")
        self.student, self.momentum = student, momentum
        self.averaged = AveragedModel(student, multi_avg_fn=_ema_floats_copy_integers(momentum), use_buffers=True)
        # The deep copy made above is the average so far: the first update is already an EMA step
        # (AveragedModel would otherwise copy the student at its first update).
        self.averaged.n_averaged.fill_(1)
        self.model: nn.Module = self.averaged.module
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def update(self) -> None:
        """One EMA step towards the student's current parameters and buffers."""
        self.averaged.update_parameters(self.student)

    @torch.no_grad()
    def reset_to_student(self) -> None:
        """Copy the student into the teacher (a resumed run whose checkpoint has no teacher)."""
        self.model.load_state_dict(self.student.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state)
