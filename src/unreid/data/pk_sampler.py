"""P x K identity sampler over (pseudo-)labels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class PKSampler:
    """Yields batches of ``P`` identities x ``K`` images each (``P * K`` indices).

    Identities are drawn without replacement inside a batch; the ``K`` images of an
    identity without replacement when it has at least ``K`` images, else with
    replacement. Identities with a single image cannot form positive pairs and are
    skipped unless there are fewer than ``P`` usable identities.

    Args:
        labels: one label per sample; negative labels (outliers) are never drawn.
        num_identities: ``P``.
        num_instances: ``K``.
        seed: random seed (per epoch, pass ``seed + epoch``).
    """

    def __init__(self, labels: Sequence[int] | np.ndarray, *, num_identities: int, num_instances: int, seed: int = 0) -> None:
        if num_identities < 1 or num_instances < 1:
            raise ValueError("num_identities (P) and num_instances (K) must be >= 1")
        labels = np.asarray(labels)
        self.groups = {int(l): np.flatnonzero(labels == l) for l in np.unique(labels[labels >= 0])}
        if not self.groups:
            raise ValueError("PKSampler: no labelled samples (every label is an outlier)")
        multi = [l for l, idx in self.groups.items() if len(idx) > 1]
        self.identities = np.array(multi if len(multi) >= num_identities else sorted(self.groups))
        self.p = min(num_identities, len(self.identities))
        self.k = num_instances
        self.rng = np.random.default_rng(seed)

    @property
    def batch_size(self) -> int:
        return self.p * self.k

    def sample(self) -> np.ndarray:
        """One batch of ``P * K`` indices, identity by identity."""
        chosen = self.rng.choice(self.identities, size=self.p, replace=False)
        parts = []
        for ident in chosen:
            idx = self.groups[int(ident)]
            parts.append(self.rng.choice(idx, size=self.k, replace=len(idx) < self.k))
        return np.concatenate(parts)

    def batches(self, num_batches: int) -> Iterator[np.ndarray]:
        for _ in range(num_batches):
            yield self.sample()
