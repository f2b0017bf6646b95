"""Generated-image mixers by name (``generator.mixer``): how generated images join a real batch.

Every epoch with generated images the trainer asks :func:`build_mixer` for a mixer over
that epoch's pseudo-labels of the generated images' sources; the batch stream calls it on
each P x K batch of real rows. Another mixer is one module with a function decorated by
:func:`register_mixer`; ``swap`` (the default) is :class:`GeneratedBatchMixer`, which hands
``generator.batch_fraction`` of each batch to generated images of the same pseudo-identities.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from unreid.generator.generated_queries import GeneratedBatchMixer, GeneratedImageOptions
from unreid.registry import Registry

logger = logging.getLogger(__name__)


class BatchMixer(Protocol):
    def __call__(self, batch: np.ndarray, batch_labels: np.ndarray) -> np.ndarray:
        """``batch [B]`` of real row indices with pseudo-labels ``batch_labels [B]`` -> the rows to train on
        (a generated image ``j`` is row ``num_real + j``)."""


class MixerFactory(Protocol):
    def __call__(self, source_labels: np.ndarray, *, num_real: int, seed: int,
                 options: GeneratedImageOptions) -> BatchMixer | None:
        """A mixer for generated images whose sources have pseudo-labels ``source_labels [M]`` (``-1``: outlier);
        ``None``: no generated image this epoch."""


MIXERS: Registry[MixerFactory] = Registry("generated-image mixer", option="generator.mixer")
"""Every generated-image mixer by name."""

register_mixer = MIXERS.register


@register_mixer("swap")
def swap(source_labels: np.ndarray, *, num_real: int, seed: int, options: GeneratedImageOptions) -> BatchMixer | None:
    """``options.fraction`` of each batch's rows swapped for generated images of the same pseudo-identity."""
    if options.fraction <= 0:
        return None
    return GeneratedBatchMixer(source_labels=source_labels, num_real=num_real, fraction=options.fraction, seed=seed)


def build_mixer(name: str, source_labels: np.ndarray, *, num_real: int, seed: int,
                options: GeneratedImageOptions) -> BatchMixer | None:
    """The mixer registered as ``name`` (``None``: it adds nothing this epoch); ``ValueError`` lists the names."""
    return MIXERS[name](source_labels, num_real=num_real, seed=seed, options=options)


def mixer_names() -> tuple[str, ...]:
    """The registered mixers (the choices of ``generator.mixer``)."""
    return MIXERS.names()
