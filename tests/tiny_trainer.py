"""A tiny in-memory training run for the plug-in tests: 24 random 32x16 images of 3 identities, resnet10t,
the true identities as pseudo-labels (no clustering), one epoch of 2 iterations; a few seconds on one CPU."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from unreid.config.schema import ClusterConfig, LossConfig, TrainConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import OracleLabeller
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.generated_queries import BatchQueryLoss, GeneratedImageOptions
from unreid.losses.levels import level_weights
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import build_embedding_model

TINY_TRAIN = {"epochs": 1, "iterations": 2, "num_identities": 2, "num_instances": 4, "channels_last": False}
"""The ``train`` settings of the tiny run (tests add or change what they test)."""


def tiny_trainer(*, model: nn.Module | None = None, loss: LossConfig | None = None,
                 generated: GeneratedImageOptions | None = None, **train: object) -> UnsupervisedTrainer:
    """The tiny run with ``train`` settings over :data:`TINY_TRAIN` and the loss built from ``loss`` as the CLI does;
    with ``generated``, each image's mirror image is its generated image (row ``24 + i`` for image ``i``)."""
    gen = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (24, 3, 32, 16), generator=gen, dtype=torch.uint8)  # [24, 3, 32, 16]
    records = [Record(Path(f"{i}.jpg"), i % 3, i % 2) for i in range(24)]
    enhancement = None if generated is None else EnhancementSet(
        pixels=pixels.flip(-1), source_index=torch.arange(24),
        records=[Record(Path(f"{i}_mirror.jpg"), i % 3, 1 - i % 2) for i in range(24)])
    loss = loss or LossConfig()
    loss_fn = MultiLevelContrastiveLoss(temperature=loss.temperature, weights=level_weights(loss))
    return UnsupervisedTrainer(
        model=model or build_embedding_model(backbone="resnet10t"), data=TrainingSet(
            pixels=pixels, records=records, enhancement=enhancement, generated=generated or GeneratedImageOptions()),
        objective=TrainingObjective(labeller=OracleLabeller(ClusterConfig()), loss=BatchQueryLoss(loss_fn), memory=loss),
        train=TrainConfig(**{**TINY_TRAIN, **train}),  # type: ignore[arg-type]
        runtime=TrainerRuntime(extract_batch_size=32, progress=False),
    )
