from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from unreid.data.pk_sampler import PKSampler
from unreid.engine.batch_stream import BatchStream
from unreid.engine.train_epoch import EpochStep, train_one_epoch
from unreid.generator.generated_queries import (
    BatchQueryLoss,
    GeneratedBatchMixer,
    GeneratedImageOptions,
    generated_query_loss,
    parse_levels,
)
from unreid.losses.multilevel_contrastive import ExtremeMode, MultiLevelContrastiveLoss, PositivePool
from unreid.memory.cluster_memory import ClusterMemory


def test_loss_for_generated_queries_keeps_every_setting_and_a_zero_weight_stays_zero() -> None:
    full = MultiLevelContrastiveLoss(temperature=0.07, weights={"centroid": 2.0, "intra": 0.0, "inter": 0.5},
                                     intra_mode=ExtremeMode.CENTROID, inter_mode=ExtremeMode.CENTROID,
                                     positive_pool=PositivePool.CORE, camera_entropy_weight=True)
    only = generated_query_loss(full, ("centroid", "intra"))
    assert only is not None and only.weights == {"centroid": 2.0, "intra": 0.0, "inter": 0.0}
    assert (only.temperature, only.intra_mode, only.inter_mode, only.positive_pool, only.camera_entropy_weight) == (
        0.07, ExtremeMode.CENTROID, ExtremeMode.CENTROID, PositivePool.CORE, True)
    assert full.weights == {"centroid": 2.0, "intra": 0.0, "inter": 0.5}  # the loss of real queries is unchanged


def test_mixer_swaps_the_fraction_for_generated_images_of_the_same_label() -> None:
    labels = np.repeat(np.arange(4), 4)  # 16 real images, 4 clusters
    source = np.arange(16)  # one generated image per real image ...
    source_labels = labels[source].copy()
    source_labels[source == 3] = -1  # ... but image 3's source is an outlier this epoch
    mixer = GeneratedBatchMixer(source_labels=source_labels, num_real=16, fraction=0.25, seed=0)
    for _ in range(50):
        batch = np.arange(16)
        out = mixer(batch, labels[batch])
        swapped = np.flatnonzero(out != batch)
        assert len(swapped) == 4 and (out[swapped] >= 16).all()
        assert (source_labels[out[swapped] - 16] == labels[swapped]).all()  # same pseudo-identity
        assert 16 + 3 not in out  # an outlier's generated image sits the epoch out
    assert (GeneratedBatchMixer(source_labels=source_labels, num_real=16, fraction=0.0)(batch, labels) == batch).all()


def test_loss_for_generated_queries_keeps_only_the_chosen_levels() -> None:
    full = MultiLevelContrastiveLoss(temperature=0.1, weights={"centroid": 1.0, "intra": 1.0, "inter": 0.5})
    assert generated_query_loss(full, ("centroid", "intra", "inter")) is None
    only = generated_query_loss(full, parse_levels("centroid, inter"))
    assert only is not None and only.active_levels == ["centroid", "inter"]
    assert only.weights["inter"] == 0.5 and only.temperature == 0.1
    with pytest.raises(ValueError, match="shares no level"):
        generated_query_loss(MultiLevelContrastiveLoss(weights={"centroid": 1.0}), ("inter",))
    with pytest.raises(ValueError, match="batch_fraction"):
        GeneratedImageOptions(fraction=1.0)
    with pytest.raises(ValueError, match="choose one or more of centroid, intra, inter"):
        GeneratedImageOptions(levels=("centre",))


class _Recording(ClusterMemory):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.centroid_rows: list[int] = []

    @torch.no_grad()
    def update_centroids(self, features: Tensor, labels: Tensor, *, max_occurrences: int | None = None) -> None:
        self.centroid_rows.append(features.shape[0])
        super().update_centroids(features, labels, max_occurrences=max_occurrences)


class _Embed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3 * 16 * 8, 8)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.fc(x.flatten(1)), dim=1)  # [B, 8]


@pytest.mark.parametrize("levels", [("centroid", "intra", "inter"), ("centroid",)])
def test_generated_images_are_queries_only(levels: tuple[str, ...]) -> None:
    n, m = 16, 16
    labels = torch.arange(n) // 4  # 4 clusters of 4
    pixels = torch.randint(0, 256, (n + m, 3, 16, 8), dtype=torch.uint8)
    model = _Embed()
    with torch.no_grad():
        feats = model((pixels[:n].float() - 128) / 64)  # [N, 8]
    memory = _Recording(features=feats, labels=labels, num_clusters=4)
    instances = memory.instances.clone()
    loss_fn = MultiLevelContrastiveLoss()
    sampler = PKSampler(labels.numpy(), num_identities=2, num_instances=4, seed=0)
    mixer = GeneratedBatchMixer(source_labels=labels.numpy(), num_real=n, fraction=0.5, seed=0)
    all_labels = torch.cat([labels, labels])  # [N + M]
    instance_index = torch.cat([torch.arange(n), torch.full((m,), -1)])  # [N + M]
    batches = BatchStream(pixels=pixels, labels=all_labels, instance_index=instance_index, num_real=n,
                          sampler=sampler, device=torch.device("cpu"), mix_generated=mixer)
    step = EpochStep(model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                     loss=BatchQueryLoss(loss_fn, generated_query_loss(loss_fn, levels)))
    losses = train_one_epoch(step=step, memory=memory, batches=batches, iterations=3, progress=False)
    assert memory.centroid_rows == [4, 4, 4]  # 8-image batches, half generated: only the 4 real ones update
    changed = (memory.instances != instances).any(dim=1)
    assert changed.sum() <= 12 and np.isfinite(losses["total"])
    assert ("generated" in losses) == (levels != ("centroid", "intra", "inter"))
