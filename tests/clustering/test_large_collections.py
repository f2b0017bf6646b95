"""Large collections are clustered on their principal directions: inner products kept, switched on by size."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import unreid.clustering.large_collections as large
from unreid.clustering.large_collections import clustering_features, principal_directions


def test_features_in_a_subspace_keep_their_inner_products() -> None:
    generator = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(10, 3, generator=generator))[0].T  # [3, 10] orthonormal rows
    features = F.normalize(torch.randn(500, 3, generator=generator), dim=1) @ basis  # [500, 10] unit, rank 3
    reduced = principal_directions(features, dim=3, fit_rows=200)  # [500, 3]
    assert reduced.shape == (500, 3)
    assert torch.allclose(reduced @ reduced.T, features @ features.T, atol=1e-5)
    assert principal_directions(features, dim=10) is features  # nothing to reduce


def test_only_large_collections_are_reduced(monkeypatch: pytest.MonkeyPatch) -> None:
    features = F.normalize(torch.randn(60, 16, generator=torch.Generator().manual_seed(1)), dim=1)  # [60, 16]
    assert clustering_features(features) is features  # 60 crops: far below LARGE_COLLECTION
    monkeypatch.setattr(large, "LARGE_COLLECTION", 50)
    monkeypatch.setattr(large, "REDUCED_DIM", 4)
    reduced = clustering_features(features)
    assert reduced.shape == (60, 4) and torch.allclose(reduced.norm(dim=1), torch.ones(60))
