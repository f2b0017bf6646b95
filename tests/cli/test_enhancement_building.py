"""``generator.start_epoch``: generated images join the batches from that epoch on, not before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from unreid.cli.enhancement_building import generated_image_options
from unreid.config.schema import ClusterConfig, GeneratorConfig, LossConfig, TrainConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import OracleLabeller
from unreid.engine.trainer_inputs import TrainerRuntime, TrainingObjective, TrainingSet
from unreid.engine.unsupervised_trainer import UnsupervisedTrainer
from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.generated_queries import BatchQueryLoss
from unreid.losses.multilevel_contrastive import MultiLevelContrastiveLoss
from unreid.models.embedding_model import build_embedding_model


def test_generated_images_join_the_batches_from_generator_start_epoch() -> None:
    options = generated_image_options(GeneratorConfig(batch_fraction=0.5, start_epoch=2))
    pixels = torch.randint(0, 256, (12, 3, 32, 16), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    records = [Record(Path(f"{i}.jpg"), i % 3, i % 2) for i in range(12)]
    enhancement = EnhancementSet(pixels=pixels.flip(-1), source_index=torch.arange(12), records=records)  # [12, ...]
    trainer = UnsupervisedTrainer(  # only built: no epoch is trained
        model=build_embedding_model(backbone="resnet10t"),
        data=TrainingSet(pixels=pixels, records=records, enhancement=enhancement, generated=options),
        objective=TrainingObjective(labeller=OracleLabeller(ClusterConfig()),
                                    loss=BatchQueryLoss(MultiLevelContrastiveLoss()), memory=LossConfig()),
        train=TrainConfig(epochs=4, iterations=1, num_identities=2, num_instances=4, channels_last=False),
        runtime=TrainerRuntime(progress=False),
    )
    labels = torch.arange(12) % 3  # [12]

    def generated_per_batch(epoch: int) -> int:
        (batch,) = trainer.batch_stream(labels, epoch).batches(1)
        return int(np.count_nonzero(~batch.is_real))

    assert [generated_per_batch(epoch) for epoch in range(4)] == [0, 0, 4, 4]  # half of each 2 x 4 batch from epoch 2
