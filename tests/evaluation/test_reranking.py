from __future__ import annotations

import numpy as np
import pytest
import torch

import unreid.evaluation.reranking as reranking
from unreid.evaluation import evaluate_ranking, k_reciprocal_rerank


def _blocks(q: torch.Tensor, g: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"q_g": torch.cdist(q, g), "q_q": torch.cdist(q, q), "g_g": torch.cdist(g, g)}


def _clusters(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(12, 16, generator=gen)  # 12 identities
    gallery_pids, query_pids = torch.arange(12).repeat_interleave(6), torch.arange(12)
    gallery = centres[gallery_pids] + 0.6 * torch.randn(len(gallery_pids), 16, generator=gen)
    query = centres[query_pids] + 0.6 * torch.randn(12, 16, generator=gen)
    return query, gallery, query_pids, gallery_pids


def _naive(qg: np.ndarray, qq: np.ndarray, gg: np.ndarray, k1: int, k2: int, lam: float) -> np.ndarray:
    """The algorithm item by item, straight from the paper's description."""
    nq, ng = qg.shape
    d = np.block([[qq, qg], [qg.T, gg]])
    d = d / d.max(axis=1, keepdims=True)
    rank = np.argsort(d, axis=1, kind="stable")

    def reciprocal(p: int, k: int) -> set[int]:
        return {int(c) for c in rank[p, : k + 1] if p in rank[c, : k + 1]}

    codes = np.zeros_like(d)
    for p in range(len(d)):
        base = reciprocal(p, k1)
        expanded = base | {p}
        for c in base:
            half = reciprocal(c, (k1 + 1) // 2)
            if len(half & base) > 2 / 3 * len(half):
                expanded |= half
        idx = sorted(expanded)
        codes[p, idx] = np.exp(-d[p, idx]) / np.exp(-d[p, idx]).sum()
    codes = np.stack([codes[rank[p, :k2]].mean(axis=0) for p in range(len(d))])
    jaccard = np.array([[1 - np.minimum(codes[i], codes[nq + j]).sum() / np.maximum(codes[i], codes[nq + j]).sum()
                         for j in range(ng)] for i in range(nq)])
    return (1 - lam) * jaccard + lam * d[:nq, nq:]


def test_shape_and_range() -> None:
    query, gallery, _, _ = _clusters(0)
    out = k_reciprocal_rerank(**_blocks(query, gallery))
    assert out.shape == (12, 72) and out.dtype == torch.float32
    assert torch.isfinite(out).all() and (out >= 0).all() and (out <= 1 + 1e-6).all()


@pytest.mark.parametrize(("k1", "k2", "chunk"), [(20, 6, 1 << 24), (5, 3, 50), (3, 1, 1 << 24)])
def test_matches_item_by_item_version(k1: int, k2: int, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reranking, "_CHUNK_ELEMENTS", chunk)  # 50 forces many small chunks
    query, gallery, _, _ = _clusters(1)
    query, gallery = query[:5], gallery[:30]
    blocks = _blocks(query, gallery)
    expected = _naive(*(blocks[k].double().numpy() for k in ("q_g", "q_q", "g_g")), k1, k2, 0.3)
    out = k_reciprocal_rerank(**blocks, k1=k1, k2=k2, lambda_value=0.3)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)


def test_reciprocal_neighbours_fix_rank_one() -> None:
    # 1-D positions. The query (person A) is nearest to b (person B), but b's own nearest
    # neighbours are B1..B3, so b is not a k-reciprocal neighbour of the query, while A2 and
    # A3 are: after re-ranking A3 is first.
    query = torch.tensor([[0.52]])
    gallery = torch.tensor([[-0.1], [0.0], [0.1], [0.9], [1.0], [1.1], [1.2]])  # A1 A2 A3 b B1 B2 B3
    blocks = _blocks(query, gallery)
    assert blocks["q_g"].argmin().item() == 3  # b first before re-ranking
    out = k_reciprocal_rerank(**blocks, k1=3, k2=1)
    assert out.argsort(dim=1)[0, :3].tolist() == [2, 1, 0]  # A3, A2, A1


def test_reranking_raises_map_on_clustered_data() -> None:
    query, gallery, qp, gp = _clusters(0)
    cams = {"query_cams": torch.zeros(12), "gallery_cams": torch.ones(72), "query_pids": qp, "gallery_pids": gp}
    blocks = _blocks(query, gallery)
    before = evaluate_ranking(distances=blocks["q_g"], **cams).mAP
    after = evaluate_ranking(distances=k_reciprocal_rerank(**blocks, k1=6, k2=3), **cams).mAP
    assert after > before + 0.02


def test_lambda_one_keeps_the_original_ranking() -> None:
    query, gallery, _, _ = _clusters(2)
    blocks = _blocks(query, gallery)
    out = k_reciprocal_rerank(**blocks, lambda_value=1.0)
    assert torch.equal(out.argsort(dim=1, stable=True), blocks["q_g"].argsort(dim=1, stable=True))


def test_bad_arguments() -> None:
    query, gallery, _, _ = _clusters(0)
    blocks = _blocks(query, gallery)
    with pytest.raises(ValueError, match="do not fit"):
        k_reciprocal_rerank(q_g=blocks["q_g"], q_q=blocks["g_g"], g_g=blocks["g_g"])
    with pytest.raises(ValueError, match="lambda_value"):
        k_reciprocal_rerank(**blocks, lambda_value=1.5)
    with pytest.raises(ValueError, match="k1"):
        k_reciprocal_rerank(**blocks, k1=0)
