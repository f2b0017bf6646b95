"""Synthetic clustered features shared by the clustering tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

MakeClustered = Callable[..., tuple[Tensor, Tensor]]


def clustered_features(*, n: int, num_ids: int, dim: int, seed: int, spread: float = 0.6) -> tuple[Tensor, Tensor]:
    """``(features [n, dim] L2-normalised, identities [n])``: Gaussian noise around random centres."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_ids, dim, generator=generator)  # [C, D]
    identities = torch.randint(0, num_ids, (n,), generator=generator)  # [n]
    noise = spread * torch.randn(n, dim, generator=generator)  # [n, D]
    return F.normalize(centres[identities] + noise, dim=1), identities


@pytest.fixture
def make_clustered() -> MakeClustered:
    return clustered_features


@pytest.fixture(autouse=True)
def _single_thread() -> Iterator[None]:
    """Small tensors: one intra-op thread is as fast and immune to a busy machine's stalls."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=["bitmaps", "sorting"])
def scratch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the sparse Jaccard gathers rows: ``[rows, N]`` scratch blocks or sorting (chosen by size)."""
    import unreid.clustering.csr as csr

    monkeypatch.setattr(csr, "DENSE_OVER_SORT", 10**9 if request.param == "bitmaps" else 0)
    return str(request.param)
