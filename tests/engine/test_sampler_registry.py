"""Batch samplers are found by name (``train.sampler``); one registered outside the package trains a tiny run."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tiny_trainer import tiny_trainer
from unreid.config.loader import load_config
from unreid.config.schema import TrainConfig
from unreid.config.validation import config_problems
from unreid.data.pk_sampler import PKSampler
from unreid.engine.batch_samplers import SAMPLERS, BatchSampler, build_sampler


class FirstImages:
    """Each batch: the first ``k`` images of every pseudo-identity, in index order (no randomness)."""

    def __init__(self, labels: np.ndarray, k: int) -> None:
        self.k = k
        self.batch = np.concatenate([np.flatnonzero(labels == l)[:k] for l in np.unique(labels[labels >= 0])])
        self.drawn: list[np.ndarray] = []

    def batches(self, num_batches: int) -> Iterator[np.ndarray]:
        for _ in range(num_batches):
            self.drawn.append(self.batch)
            yield self.batch


samplers: list[FirstImages] = []


def first_images(labels: np.ndarray, *, cameras: np.ndarray, seed: int, train: TrainConfig) -> BatchSampler:
    samplers.append(FirstImages(labels, k=train.num_instances))
    return samplers[-1]


@pytest.fixture
def registered() -> Iterator[None]:
    samplers.clear()
    with SAMPLERS.temporarily("test_first_images", first_images):
        yield


def test_the_default_is_the_pk_sampler_with_the_configured_p_and_k() -> None:
    train = TrainConfig(num_identities=2, num_instances=3, camera_aware=True)
    labels, cameras = np.repeat(np.arange(4), 4), np.tile(np.arange(2), 8)  # [16], [16]
    sampler = build_sampler(train.sampler, labels, cameras=cameras, seed=1, train=train)
    assert isinstance(sampler, PKSampler) and (sampler.p, sampler.k) == (2, 3) and sampler.cameras is cameras


@pytest.mark.usefixtures("registered")
def test_a_sampler_registered_outside_the_package_trains_a_tiny_run() -> None:
    history = tiny_trainer(sampler="test_first_images", num_instances=2, epochs=1).fit()
    [sampler] = samplers  # one per epoch
    assert [batch.tolist() for batch in sampler.drawn] == [[0, 3, 1, 4, 2, 5]] * 2  # 2 iterations of 3 ids x 2
    assert len(history) == 1 and np.isfinite(history[0]["loss_total"])
    assert not [p for p in config_problems(load_config(overrides=["train.sampler=test_first_images"]))
                if p.startswith("train.sampler")]


def test_an_unknown_name_lists_the_registered_ones() -> None:
    labels = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match=r"^unknown batch sampler 'random' \(train.sampler\); registered: pk$"):
        build_sampler("random", labels, cameras=labels, seed=0, train=TrainConfig())
    assert "train.sampler='random': valid values are pk" in config_problems(
        load_config(overrides=["train.sampler=random"]))
