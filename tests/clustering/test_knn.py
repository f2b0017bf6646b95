"""Exact kNN: torch blocked search against brute force, tie-breaking, optional faiss backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from unreid.clustering.knn import IVF_AUTO_MIN_ROWS, KnnBackend, faiss_available, knn, resolve_backend

MakeClustered = Callable[..., tuple[torch.Tensor, torch.Tensor]]


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


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (optional: pip install faiss-cpu)")
def test_the_inverted_file_finds_nearly_every_neighbour_with_exact_similarities(
        make_clustered: MakeClustered) -> None:
    features, _ = make_clustered(n=3000, num_ids=150, dim=24, seed=0, spread=0.5)
    sims, idx = knn(features, k=10, backend=KnnBackend.FAISS_IVF)
    _, exact = knn(features, k=10, backend=KnnBackend.TORCH)
    assert torch.equal(idx[:, 0], torch.arange(3000)) and (sims[:, 1:].diff(dim=1) <= 0).all()
    recall = sum(len(set(a) & set(b)) for a, b in zip(idx[:, 1:].tolist(), exact[:, 1:].tolist())) / (3000 * 9)
    assert recall > 0.95
    assert torch.allclose(sims, (features[:, None, :] * features[idx]).sum(-1), atol=1e-5)  # [N, k]


@pytest.mark.skipif(not faiss_available(), reason="faiss is not installed (optional: pip install faiss-cpu)")
def test_rows_the_inverted_file_finds_too_few_for_are_searched_exactly() -> None:
    features = F.normalize(torch.randn(2000, 8, generator=torch.Generator().manual_seed(1)), dim=1)
    sims, idx = knn(features, k=1000, backend=KnnBackend.FAISS_IVF)  # 16 of 51 lists hold about 630 rows: too few
    exact_sims, exact_idx = knn(features, k=1000, backend=KnnBackend.TORCH)
    assert torch.equal(idx[:, 0], exact_idx[:, 0]) and torch.allclose(sims, exact_sims, atol=1e-5)
    assert torch.allclose(sims, (features[:, None, :] * features[idx]).sum(-1), atol=1e-5)  # same up to near-ties


def test_auto_takes_the_inverted_file_for_large_cpu_collections() -> None:
    cpu = torch.device("cpu")
    assert resolve_backend("auto", num_rows=1_000, device=cpu) is KnnBackend.TORCH
    if faiss_available():
        assert resolve_backend("auto", num_rows=60_000, device=cpu) is KnnBackend.FAISS
        assert resolve_backend("auto", num_rows=IVF_AUTO_MIN_ROWS, device=cpu) is KnnBackend.FAISS_IVF
