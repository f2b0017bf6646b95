"""The one k-reciprocal set construction: against a naive restatement, and values pinned.

:func:`expanded_reciprocal_sets` serves the dense and sparse Jaccard distances and the
re-ranking, so it is checked here against the definition written item by item, and the
two dense consumers are pinned to the values they gave before they shared it.
"""

from __future__ import annotations

import pytest
import torch

from unreid.clustering.csr import dense_blocks_pay, sum_by_slot
from unreid.clustering.jaccard_dense import jaccard_distance_dense
from unreid.clustering.k_reciprocal_encoding import (
    expanded_reciprocal_sets,
    expanded_set_rows,
)
from unreid.evaluation.reranking import k_reciprocal_rerank


def _naive_sets(ranks: list[list[int]], k1_half: int) -> list[set[int]]:
    """``E(i)`` straight from the definition (see :mod:`unreid.clustering.jaccard_dense`)."""

    def reciprocal(i: int, k: int) -> set[int]:
        return {j for j in ranks[i][:k] if i in ranks[j][:k]}

    sets = []
    for i in range(len(ranks)):
        base = reciprocal(i, len(ranks[i]))
        expanded = set(base)
        for c in base:
            half = reciprocal(c, k1_half)
            if 3 * len(half & base) > 2 * len(half):
                expanded |= half
        sets.append(expanded)
    return sets


@pytest.mark.parametrize(("n", "k1", "k1_half", "self_first"), [(40, 8, 5, True), (60, 12, 7, False), (9, 9, 5, True)])
def test_expanded_sets_match_the_definition(n: int, k1: int, k1_half: int, self_first: bool, scratch: str) -> None:
    gen = torch.Generator().manual_seed(n)
    points = torch.randn(n, 3, generator=gen)
    dist = torch.cdist(points, points)
    if not self_first:
        dist.fill_diagonal_(float("inf"))  # lists without the item itself
    ranks = dist.argsort(dim=1, stable=True)[:, :k1]
    keys = expanded_reciprocal_sets(ranks, k1_half=k1_half)
    assert torch.equal(keys, keys.unique())  # ascending, no duplicates
    got = [set(row.nonzero().squeeze(1).tolist()) for row in expanded_set_rows(keys, start=0, stop=n, n=n)]
    assert got == _naive_sets(ranks.tolist(), k1_half)
    block = expanded_set_rows(keys, start=3, stop=7, n=n)
    assert [set(row.nonzero().squeeze(1).tolist()) for row in block] == got[3:7]


@pytest.mark.parametrize("dense", [True, False])
def test_sums_by_slot_through_an_accumulator_or_by_sorting(dense: bool) -> None:
    slot = torch.tensor([7, 2, 7, 9, 2, 0, 4])
    values = torch.tensor([1.0, 0.5, 2.0, 0.0, 0.25, -1.0, 1.0])
    slots, sums = sum_by_slot(slot, values, size=12, dense=dense)
    assert slots.tolist() == [0, 2, 4, 7] and sums.tolist() == [-1.0, 0.75, 1.0, 3.0]  # slot 9 sums to 0: left out


def test_scratch_blocks_are_chosen_while_they_cost_less_than_sorting() -> None:
    assert dense_blocks_pay(n=8_642, keys_per_row=900) and not dense_blocks_pay(n=1_000_000, keys_per_row=900)


def _fixed_features() -> torch.Tensor:
    """12 features in 4-d from a closed formula (no random generator), no near-ties among neighbours."""
    i = torch.arange(12, dtype=torch.float64)[:, None]
    d = torch.arange(4, dtype=torch.float64)[None, :]
    return (torch.sin(1.7 * i * (d + 1) + 0.3 * d * d) + 0.5 * torch.cos(0.9 * (i % 3) * (d + 2))).float()


DENSE_K1_5_K2_2 = [
    [0.000000, 0.955230, 0.969803, 0.979702, 0.969803, 0.979702, 0.513454, 0.979702, 0.950786, 0.000000, 0.607321, 0.607321],
    [0.955230, 0.000000, 0.940320, 0.436022, 0.940320, 0.901075, 0.976503, 0.436022, 0.971247, 0.955230, 0.976503, 0.976503],
    [0.969803, 0.940320, 0.000000, 0.912528, 0.000000, 0.520088, 0.907813, 0.912528, 0.411259, 0.969803, 0.969803, 0.969803],
    [0.979702, 0.436022, 0.912528, 0.000000, 0.912528, 0.871157, 0.972680, 0.000000, 0.939608, 0.979702, 1.000000, 1.000000],
    [0.969803, 0.940320, 0.000000, 0.912528, 0.000000, 0.520088, 0.907813, 0.912528, 0.411259, 0.969803, 0.969803, 0.969803],
    [0.979702, 0.901075, 0.520088, 0.871157, 0.520088, 0.000000, 0.941694, 0.871157, 0.731483, 0.979702, 1.000000, 1.000000],
    [0.513454, 0.976503, 0.907813, 0.972680, 0.907813, 0.941694, 0.000000, 0.972680, 0.859961, 0.513454, 0.606333, 0.606333],
    [0.979702, 0.436022, 0.912528, 0.000000, 0.912528, 0.871157, 0.972680, 0.000000, 0.939608, 0.979702, 1.000000, 1.000000],
    [0.950786, 0.971247, 0.411259, 0.939608, 0.411259, 0.731483, 0.859961, 0.939608, 0.000000, 0.950786, 0.953153, 0.953153],
    [0.000000, 0.955230, 0.969803, 0.979702, 0.969803, 0.979702, 0.513454, 0.979702, 0.950786, 0.000000, 0.607321, 0.607321],
    [0.607321, 0.976503, 0.969803, 1.000000, 0.969803, 1.000000, 0.606333, 1.000000, 0.953153, 0.607321, 0.000000, 0.000000],
    [0.607321, 0.976503, 0.969803, 1.000000, 0.969803, 1.000000, 0.606333, 1.000000, 0.953153, 0.607321, 0.000000, 0.000000],
]
RERANK_K1_4_K2_2 = [
    [0.879683, 0.906101, 0.917053, 0.590700, 0.970013, 0.846444, 0.108941, 0.531252, 0.473722],
    [0.272945, 0.819486, 0.847993, 0.938359, 0.306563, 0.840375, 0.879076, 0.893548, 0.889464],
    [0.781294, 0.121996, 0.624109, 0.807139, 0.870263, 0.321602, 1.000000, 0.905981, 0.879036],
]


def test_dense_jaccard_and_reranking_keep_their_values() -> None:
    """Values computed before the three copies of the encoding became one (rounded to 1e-6)."""
    features = _fixed_features()
    dense = jaccard_distance_dense(features, k1=5, k2=2)
    torch.testing.assert_close(dense, torch.tensor(DENSE_K1_5_K2_2), rtol=0.0, atol=2e-6)
    dist = torch.cdist(features, features)
    rerank = k_reciprocal_rerank(q_g=dist[:3, 3:], q_q=dist[:3, :3], g_g=dist[3:, 3:], k1=4, k2=2, lambda_value=0.3)
    torch.testing.assert_close(rerank, torch.tensor(RERANK_K1_4_K2_2), rtol=0.0, atol=2e-6)
