"""Batch samplers by name (``train.sampler``): which real images each training batch holds.

Every epoch the trainer asks :func:`build_sampler` for a sampler over that epoch's
pseudo-labels; :class:`~unreid.engine.batch_stream.BatchStream` then swaps in generated
images, augments and moves the pixels. Another sampler is one module with a function
decorated by :func:`register_sampler`; ``pk`` (the default) is the P x K identity sampler of
:mod:`unreid.data.pk_sampler`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from unreid.data.pk_sampler import PKSampler
from unreid.registry import Registry

if TYPE_CHECKING:
    from unreid.config.schema import TrainConfig

logger = logging.getLogger(__name__)


class BatchSampler(Protocol):
    """Draws batches of row indices of real training images (never an outlier: label ``-1``)."""

    @property
    def k(self) -> int:
        """The most images of one pseudo-identity a batch holds (bounds the memory update's duplicates)."""

    def batches(self, num_batches: int) -> Iterator[Sequence[int] | np.ndarray]:
        """``num_batches`` batches of indices into the labels the sampler was made with."""


class SamplerFactory(Protocol):
    def __call__(self, labels: np.ndarray, *, cameras: np.ndarray, seed: int, train: TrainConfig) -> BatchSampler:
        """A sampler over ``labels [N]`` (``-1``: outlier) with camera ids ``cameras [N]``, seeded by ``seed``."""


SAMPLERS: Registry[SamplerFactory] = Registry("batch sampler", option="train.sampler")
"""Every batch sampler by name."""

register_sampler = SAMPLERS.register


@register_sampler("pk")
def pk(labels: np.ndarray, *, cameras: np.ndarray, seed: int, train: TrainConfig) -> BatchSampler:
    """``train.num_identities`` pseudo-identities x ``train.num_instances`` images (over cameras with
    ``train.camera_aware``)."""
    return PKSampler(labels, num_identities=train.num_identities, num_instances=train.num_instances, seed=seed,
                     cameras=cameras if train.camera_aware else None)


def build_sampler(name: str, labels: np.ndarray, *, cameras: np.ndarray, seed: int, train: TrainConfig) -> BatchSampler:
    """The sampler registered as ``name``; ``ValueError`` lists the registered names."""
    return SAMPLERS[name](labels, cameras=cameras, seed=seed, train=train)


def sampler_names() -> tuple[str, ...]:
    """The names ``train.sampler`` accepts."""
    return SAMPLERS.names()
