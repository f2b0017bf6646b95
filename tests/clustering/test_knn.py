"""Exact kNN: torch blocked search against brute force, tie-breaking, optional faiss backend."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.knn import KnnBackend, faiss_available, knn


def brute_force(features: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Full similarity matrix, self forced first, stable descending sort (ties -> lower index)."""
    sims = features @ features.T  # [N, N]
    ranking = sims.clone()
    ranking.fill_diagonal_(float("inf"))
    order = ranking.sort(dim=1, descending=True, stable=True).indices[:, :k]  # [N, k]
    return sims.gather(1, order), order


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_torch_matches_brute_force(chunk_size: int) -> None:
    features = F.normalize(torch.randn(150, 16), dim=1)
    sims, idx = knn(features, k=10, backend=KnnBackend.TORCH, chunk_size=chunk_size)
    expected_sims, expected_idx = brute_force(features, 10)
    assert torch.equal(idx, expected_idx)
    assert torch.allclose(sims, expected_sims, atol=1e-6)
    assert torch.equal(idx[:, 0], torch.arange(150))


def test_ties_are_broken_by_lower_index_and_self_stays_first() -> None:
    # Integer-valued features give exactly representable similarities with many ties,
    # including exact duplicates of each sample.
    features = torch.randint(0, 3, (60, 4)).float()
    features = torch.cat([features, features[:20]])  # duplicates
    for chunk_size in (5, 4096):
        sims, idx = knn(features, k=12, backend=KnnBackend.TORCH, chunk_size=chunk_size)
        expected_sims, expected_idx = brute_force(features, 12)
        assert torch.equal(idx, expected_idx)
        assert torch.equal(sims, expected_sims)


def test_k_equal_to_n_returns_everyone() -> None:
    features = F.normalize(torch.randn(9, 3), dim=1)
    _, idx = knn(features, k=9, backend="torch")
    assert torch.equal(idx.sort(dim=1).values, torch.arange(9).expand(9, 9))


def test_invalid_arguments() -> None:
    features = torch.randn(5, 3)
    with pytest.raises(ValueError, match="valid values"):
        knn(features, k=2, backend="annoy")
    with pytest.raises(ValueError, match="k=6"):
        knn(features, k=6)
    with pytest.raises(ValueError, match="chunk_size"):
        knn(features, k=2, chunk_size=0)


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (optional: pip install faiss-cpu)")
def test_faiss_matches_torch() -> None:
    features = F.normalize(torch.randn(300, 32), dim=1)
    sims_t, idx_t = knn(features, k=15, backend=KnnBackend.TORCH)
    sims_f, idx_f = knn(features, k=15, backend=KnnBackend.FAISS)
    assert torch.equal(idx_f, idx_t)
    assert torch.allclose(sims_f, sims_t, atol=1e-5)


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (optional: pip install faiss-cpu)")
def test_faiss_keeps_self_first_with_duplicates() -> None:
    base = F.normalize(torch.randn(10, 8), dim=1)
    features = base.repeat(4, 1)  # every sample has 3 exact duplicates
    _, idx = knn(features, k=5, backend=KnnBackend.FAISS)
    assert torch.equal(idx[:, 0], torch.arange(40))
    assert torch.equal(idx[:, 1:4] % 10, (torch.arange(40) % 10)[:, None].expand(40, 3))
