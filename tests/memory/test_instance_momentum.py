"""``loss.instance_momentum``: the memory built from the ``loss`` section moves an instance row by the closed-form amount."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.config.schema import LossConfig
from unreid.memory.registry import build_memory


@pytest.mark.parametrize("momentum", [0.0, 0.25, 0.9, 1.0])
def test_an_instance_row_becomes_the_normalised_momentum_mix(momentum: float) -> None:
    old = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # [4, 2]
    memory = build_memory("all", features=old, labels=torch.tensor([0, 0, 1, 1]), num_clusters=2,
                          options=LossConfig(instance_momentum=momentum, momentum=0.5))
    new = torch.tensor([[0.0, 1.0]])  # [1, 2]: the new feature of image 0
    memory.update_instances(new, torch.tensor([0]))
    mixed = torch.tensor([momentum, 1.0 - momentum])  # m * [1, 0] + (1 - m) * [0, 1]
    torch.testing.assert_close(memory.instances[0], F.normalize(mixed, dim=0))
    torch.testing.assert_close(memory.instances[1:], old[1:])  # other rows stay
