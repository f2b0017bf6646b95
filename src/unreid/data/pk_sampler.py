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

    With ``cameras``, the sampler is camera-aware: the ``K`` images of an identity are
    taken round-robin over its cameras in random order, so they come from as many
    different cameras as the identity (pseudo-label) has, up to ``K``; an identity with
    fewer than ``K`` images gives each of them once and fills the rest at random.

    Args:
        labels: one label per sample; negative labels (outliers) are never drawn.
        num_identities: ``P``.
        num_instances: ``K``.
        seed: random seed (per epoch, pass ``seed + epoch``).
        cameras: one camera id per sample, for camera-aware sampling (``None``: off).
    """

    def __init__(
        self,
        labels: Sequence[int] | np.ndarray,
        *,
        num_identities: int,
        num_instances: int,
        seed: int = 0,
        cameras: Sequence[int] | np.ndarray | None = None,
    ) -> None:
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
        self.cameras = None if cameras is None else np.asarray(cameras)
        if self.cameras is not None and self.cameras.shape != labels.shape:
            raise ValueError(f"PKSampler: {labels.size} labels but {self.cameras.size} camera ids")

    @property
    def batch_size(self) -> int:
        return self.p * self.k

    def sample(self) -> np.ndarray:
        """One batch of ``P * K`` indices, identity by identity."""
        chosen = self.rng.choice(self.identities, size=self.p, replace=False)
        parts = []
        for ident in chosen:
            idx = self.groups[int(ident)]
            if self.cameras is None:
                parts.append(self.rng.choice(idx, size=self.k, replace=len(idx) < self.k))
            else:
                parts.append(self._across_cameras(idx))
        return np.concatenate(parts)

    def _across_cameras(self, idx: np.ndarray) -> np.ndarray:
        """``K`` of ``idx``, round-robin over their cameras (cameras and images in random order)."""
        assert self.cameras is not None
        idx = idx[self.rng.permutation(len(idx))]
        cams = self.cameras[idx]
        camera_order = self.rng.permutation(np.unique(cams))
        position = np.empty(len(idx), dtype=np.int64)  # rank of each image within its camera
        for cam in camera_order:
            mine = np.flatnonzero(cams == cam)
            position[mine] = np.arange(mine.size)
        camera_rank = np.searchsorted(np.sort(camera_order), cams)  # which camera, in sorted order
        slot = np.argsort(camera_order)[camera_rank]  # that camera's place in the random order
        chosen = idx[np.lexsort((slot, position))][: self.k]  # round r visits every camera before round r+1
        if chosen.size < self.k:
            chosen = np.concatenate([chosen, self.rng.choice(idx, size=self.k - chosen.size, replace=True)])
        return chosen

    def batches(self, num_batches: int) -> Iterator[np.ndarray]:
        for _ in range(num_batches):
            yield self.sample()
