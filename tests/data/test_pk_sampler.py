from __future__ import annotations

import numpy as np
import pytest

from unreid.data.pk_sampler import PKSampler


def test_yields_p_identities_times_k_images() -> None:
    labels = np.repeat(np.arange(10), 6)
    labels[:3] = -1  # outliers are never drawn
    sampler = PKSampler(labels, num_identities=4, num_instances=5, seed=0)
    for batch in sampler.batches(20):
        assert batch.shape == (20,)
        chunks = labels[batch].reshape(4, 5)
        assert (chunks == chunks[:, :1]).all()  # each group of K is one identity
        assert len(set(chunks[:, 0])) == 4  # P distinct identities
        assert (labels[batch] >= 0).all()


def test_small_clusters_sampled_with_replacement_and_singletons_skipped() -> None:
    labels = np.array([0, 0, 1, 1, 1, 2])  # identity 2 has a single image
    sampler = PKSampler(labels, num_identities=2, num_instances=4, seed=1)
    batch = sampler.sample()
    assert batch.shape == (8,)
    assert 2 not in set(labels[batch])


def test_fewer_identities_than_p_shrinks_p() -> None:
    sampler = PKSampler(np.array([0, 0, 1, 1]), num_identities=16, num_instances=2)
    assert sampler.batch_size == 4


def test_deterministic_by_seed_and_invalid_arguments() -> None:
    labels = np.repeat(np.arange(8), 4)
    a = PKSampler(labels, num_identities=3, num_instances=2, seed=5).sample()
    b = PKSampler(labels, num_identities=3, num_instances=2, seed=5).sample()
    assert (a == b).all()
    with pytest.raises(ValueError, match="outlier"):
        PKSampler(np.array([-1, -1]), num_identities=1, num_instances=1)
    with pytest.raises(ValueError, match=">= 1"):
        PKSampler(labels, num_identities=0, num_instances=2)


def test_camera_aware_covers_every_camera_of_an_identity() -> None:
    # identity 0: 10 images in camera 0, 1 in camera 1, 1 in camera 2; identity 1: 6 images over 2 cameras
    labels = np.array([0] * 12 + [1] * 6)
    cameras = np.array([0] * 10 + [1, 2] + [0, 0, 0, 0, 3, 3])
    sampler = PKSampler(labels, num_identities=2, num_instances=4, seed=3, cameras=cameras)
    plain = PKSampler(labels, num_identities=2, num_instances=4, seed=3)
    plain_missed = 0
    for _ in range(50):
        batch = sampler.sample()
        for ident, cams in ((0, {0, 1, 2}), (1, {0, 3})):
            picked = batch[labels[batch] == ident]
            assert len(picked) == 4 and len(set(picked)) == 4  # distinct images while there are enough
            assert set(cameras[picked]) == cams
        plain_batch = plain.sample()
        plain_missed += set(cameras[plain_batch[labels[plain_batch] == 0]]) != {0, 1, 2}
    assert plain_missed > 25  # the plain sampler usually misses a rare camera


def test_camera_aware_small_identity_gives_every_image_then_fills() -> None:
    labels = np.array([0, 0, 1, 1, 1, 1])
    cameras = np.array([0, 1, 0, 0, 1, 1])
    batch = PKSampler(labels, num_identities=2, num_instances=3, seed=0, cameras=cameras).sample()
    picked = batch[labels[batch] == 0]
    assert len(picked) == 3 and set(picked) == {0, 1}
