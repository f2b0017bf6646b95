"""Mean teacher: an exponential moving average of the trained model.

Tarvainen and Valpola, "Mean teachers are better role models", NeurIPS 2017; in
unsupervised re-ID, MMT (Ge, Chen and Li, ICLR 2020) clusters and evaluates its mean
networks: the averaged model moves slowly, so it carries less of one batch's noise into
the next epoch's pseudo-labels.

After every optimiser step :meth:`MeanTeacher.update` sets each parameter to
``t <- m * t + (1 - m) * s``. Floating-point buffers (BatchNorm running means and
variances) follow the same average, as in timm's ``ModelEmaV2``; integer buffers
(``num_batches_tracked``) are copied. The teacher is never trained or run in train mode:
its BatchNorm statistics are only the average of the student's.

When a teacher is on, the trainer clusters the teacher's features, evaluates it, and
saves it as ``model.pth``; ``last.pth`` keeps both the student (``model``, so
``--resume`` continues exactly) and the teacher (``teacher``).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)


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
        self.model = copy.deepcopy(student)
        self.model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        """One EMA step towards the student's current parameters and buffers."""
        m = self.momentum
        for t, s in zip(self.model.parameters(), self.student.parameters()):
            t.mul_(m).add_(s.detach(), alpha=1.0 - m)
        for tb, sb in zip(self.model.buffers(), self.student.buffers()):
            if tb.is_floating_point():
                tb.mul_(m).add_(sb.detach(), alpha=1.0 - m)
            else:
                tb.copy_(sb)

    @torch.no_grad()
    def reset_to_student(self) -> None:
        """Copy the student into the teacher (a resumed run whose checkpoint has no teacher)."""
        self.model.load_state_dict(self.student.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state)
