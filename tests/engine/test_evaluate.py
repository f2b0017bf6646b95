"""The query/gallery evaluator: the same weights are measured once, changed weights again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from unreid.data.records import Record
from unreid.engine import evaluate
from unreid.engine.evaluate import QueryGalleryEvaluator


class _Embed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean(dim=(2, 3))  # [B, 8]


def _evaluator() -> QueryGalleryEvaluator:
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (12, 3, 16, 8), dtype=torch.uint8, generator=generator)  # [12, 3, 16, 8]
    records = [Record(path=Path(f"{i}.jpg"), person_id=i % 4, camera_id=int(i >= 4)) for i in range(12)]
    return QueryGalleryEvaluator(query_pixels=pixels[:4], gallery_pixels=pixels[4:], query_records=records[:4],
                                 gallery_records=records[4:], engine="torch", progress=False)


def test_the_same_weights_are_evaluated_once_and_changed_weights_again(
        count_calls: Callable[[object, str], list[int]]) -> None:
    calls = count_calls(evaluate, "evaluate_model")
    evaluator, model = _evaluator(), _Embed()
    first = evaluator(model)
    assert evaluator(model) == first and len(calls) == 1
    with torch.no_grad():
        model.conv.weight.mul_(-1.0)  # an in-place change, as an optimiser step makes
    changed = evaluator(model)
    assert len(calls) == 2 and changed != first
    other = _Embed()
    other.load_state_dict(model.state_dict())
    assert evaluator(other) == changed and len(calls) == 3  # another model is measured, not looked up
