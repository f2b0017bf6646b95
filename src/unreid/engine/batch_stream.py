"""The batches of one epoch: P x K indices, generated rows swapped in, augmented pixels on the device.

Records and pseudo-labels stay index arrays until here; this is the one place that turns
a batch of indices into tensors, so the training step sees only ready inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from unreid.data.batch_augment import train_augment
from unreid.engine.batch_samplers import BatchSampler


@dataclass
class Batch:
    """One training batch: augmented ``images [B, 3, H, W]``, pseudo-labels ``targets [B]``, memory rows
    ``owners [B]`` (``-1``: no instance slot) and ``is_real [B]`` on the host (``False``: a generated image)."""

    images: Tensor
    targets: Tensor
    owners: Tensor
    is_real: np.ndarray


@dataclass(frozen=True, kw_only=True, eq=False)
class BatchStream:
    """Turns a :class:`~unreid.engine.batch_samplers.BatchSampler` (P x K by default) into :class:`Batch` es.

    Attributes:
        pixels: ``uint8 [N + M, 3, H, W]``: the ``N`` real images, then the ``M`` generated ones.
        labels: ``[N + M]`` pseudo-label of each row (generated rows take their source's).
        instance_index: ``[N + M]`` row of each image in the memory's instance table (``-1``: none).
        num_real: ``N``.
        sampler: draws real rows by pseudo-identity (``train.sampler``).
        device: where the model runs.
        mix_generated: swaps some rows of a batch for generated rows (given the batch and its labels).
        generator: random source of the augmentation, on ``pixels``' device.
        channels_last: hand the images over in channels-last layout.
    """

    pixels: Tensor
    labels: Tensor
    instance_index: Tensor
    num_real: int
    sampler: BatchSampler
    device: torch.device
    mix_generated: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    generator: torch.Generator | None = None
    channels_last: bool = False
    labels_np: np.ndarray = field(init=False, repr=False)  # [N + M]: ``labels`` on the host, for ``mix_generated``

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels_np", self.labels.cpu().numpy())  # once per stream (a sync on accelerators)

    @property
    def images_per_identity(self) -> int:
        return self.sampler.k

    def batches(self, iterations: int) -> Iterator[Batch]:
        for drawn in self.sampler.batches(iterations):
            rows = np.asarray(drawn)  # [B]
            if self.mix_generated is not None:
                rows = np.asarray(self.mix_generated(rows, self.labels_np[rows]))  # [B]
            idx = torch.from_numpy(rows).to(self.pixels.device)  # [B]
            images = train_augment(self.pixels[idx], generator=self.generator).to(self.device, non_blocking=True)
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)  # [B, 3, H, W]
            yield Batch(images=images, targets=self.labels[idx].to(self.device),
                        owners=self.instance_index[idx].to(self.device), is_real=rows < self.num_real)
