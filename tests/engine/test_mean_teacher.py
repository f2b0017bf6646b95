"""Mean teacher: the EMA of n updates against its closed form; buffers averaged or copied as documented."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from unreid.engine.mean_teacher import MeanTeacher
from unreid.models.ghost_batch_norm import use_ghost_batch_norm


def _student() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))


def test_teacher_after_n_updates_is_the_closed_form_ema() -> None:
    torch.manual_seed(0)
    student, m, n = _student(), 0.9, 5
    w0 = {k: v.clone() for k, v in student.state_dict().items()}
    teacher = MeanTeacher(student, momentum=m)
    seen: list[dict[str, torch.Tensor]] = []
    for _ in range(n):  # stand-in for optimiser steps: new weights, and a train-mode forward for BN statistics
        with torch.no_grad():
            for p in student.parameters():
                p.add_(torch.randn_like(p))
        student.train()(torch.randn(8, 3))
        seen.append({k: v.clone() for k, v in student.state_dict().items()})
        teacher.update()
    got = teacher.model.state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
        expected = m**n * w0[name] + (1 - m) * sum(m ** (n - 1 - k) * seen[k][name] for k in range(n))
        assert torch.allclose(got[name], expected, atol=1e-6), name
    assert got["1.num_batches_tracked"].item() == n  # integer buffers are copied
    assert not any(p.requires_grad for p in teacher.model.parameters()) and not teacher.model.training


def test_zero_momentum_copies_and_bad_momentum_is_refused() -> None:
    student = _student()
    teacher = MeanTeacher(student, momentum=0.0)
    with torch.no_grad():
        student[0].weight.mul_(3.0)
    teacher.update()
    assert torch.equal(teacher.model[0].weight, student[0].weight)
    with pytest.raises(ValueError, match="teacher_momentum"):
        MeanTeacher(student, momentum=1.0)


def test_the_teachers_ghost_batch_norm_is_bound_to_its_own_layers() -> None:
    student = _student()
    use_ghost_batch_norm(student, samples_per_bn=4)
    teacher = MeanTeacher(student, momentum=0.5)
    assert teacher.model[1].forward.bn is teacher.model[1]  # a deep copy, not the student's layer


def test_one_update_is_m_old_plus_one_minus_m_new() -> None:
    torch.manual_seed(1)
    student, m = _student(), 0.75
    teacher = MeanTeacher(student, momentum=m)
    old = {k: v.clone() for k, v in teacher.model.state_dict().items()}
    with torch.no_grad():
        for p in student.parameters():
            p.add_(torch.randn_like(p))
    student.train()(torch.randn(8, 3))
    new = student.state_dict()
    teacher.update()
    got = teacher.model.state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"):
        torch.testing.assert_close(got[name], m * old[name] + (1 - m) * new[name], rtol=0, atol=1e-6)
        assert not torch.equal(got[name], new[name])  # an average, not the AveragedModel's first-call copy
    assert got["1.num_batches_tracked"].item() == 1
    assert set(got) == set(student.state_dict())  # the checkpoint's teacher keys stay the model's own
