"""Collections of hundreds of thousands of crops: fewer dimensions before the neighbour search.

An exact kNN of ``N`` crops costs ``N^2 D``: a million 1280-dimensional embeddings take hours
on a CPU, so from :data:`LARGE_COLLECTION` crops on the clustering works on the embeddings'
first :data:`REDUCED_DIM` principal directions (re-ID embeddings are far from isotropic: on
market1501-dev after the CPU recipe, 128 of 1280 directions hold 88% of the variance) and the
kNN uses faiss' inverted file (:attr:`unreid.clustering.knn.KnnBackend.FAISS_IVF`).
The directions are those of the uncentred second moment, so inner products, the cosine
similarities the Jaccard distance is built on, are what the projection keeps best.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor

logger = logging.getLogger(__name__)

LARGE_COLLECTION = 200_000
"""From this many crops on, clustering works on :data:`REDUCED_DIM` dimensions."""

REDUCED_DIM = 128
"""Dimensions kept for clustering a large collection."""

FIT_ROWS = 100_000
"""Rows the principal directions are fitted on (a seeded sample)."""


@torch.no_grad()
def principal_directions(features: Tensor, *, dim: int, fit_rows: int = FIT_ROWS, chunk: int = 65_536) -> Tensor:
    """``features [N, D]`` projected on the ``dim`` leading eigenvectors of their second moment ``E[x x^T]``
    (fitted on up to ``fit_rows`` rows drawn with a fixed seed), L2-normalised: ``[N, dim]`` float32.

    Features already of ``dim`` dimensions or fewer are returned as they are.
    """
    n, d = features.shape
    if dim >= d:
        return features
    rows = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:fit_rows].to(features.device)  # [S]
    sample = features.index_select(0, rows).double()  # [S, D]
    _, vectors = torch.linalg.eigh(sample.T @ sample)  # [D, D], eigenvalues ascending
    basis = vectors[:, -dim:].flip(1).to(features.device, torch.float32)  # [D, dim], leading first
    out = torch.empty(n, dim, dtype=torch.float32, device=features.device)  # [N, dim]
    for start in range(0, n, chunk):
        out[start:start + chunk] = features[start:start + chunk].float() @ basis
    return F.normalize(out, dim=1)


def clustering_features(features: Tensor) -> Tensor:
    """What the label-free clustering of ``features [N, D]`` works on: the features themselves, or their
    :data:`REDUCED_DIM` principal directions for a collection of :data:`LARGE_COLLECTION` crops or more."""
    n, d = features.shape
    if n < LARGE_COLLECTION or d <= REDUCED_DIM:
        return features
    logger.info("%d crops: clustering on the %d principal directions of the %d-dimensional features", n,
                REDUCED_DIM, d)
    return principal_directions(features, dim=REDUCED_DIM)
