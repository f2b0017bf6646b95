"""What :class:`~unreid.engine.unsupervised_trainer.UnsupervisedTrainer` is given, in three groups.

The trainer learns from a :class:`TrainingSet` toward a :class:`TrainingObjective` (how pseudo-labels
are made and scored) and runs as its :class:`TrainerRuntime` says (precision, extraction, progress,
DDP). Moving to other hardware changes the runtime only, and the trainer's constructor takes a
handful of named parts instead of a dozen loose keywords.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from unreid.config.schema import LossConfig
from unreid.data.records import Record
from unreid.engine.distributed import DistributedContext
from unreid.engine.inference_engine import InferenceEngine
from unreid.engine.pseudo_labeller import PseudoLabeller
from unreid.generator.enhancement_set import EnhancementSet
from unreid.generator.generated_queries import BatchQueryLoss, GeneratedImageOptions
from unreid.losses.level_ramp import LevelRamp


@dataclass
class TrainingSet:
    """What the trainer learns from: ``pixels`` ``uint8 [N, 3, H, W]`` of the real images, their
    records (person ids only for diagnostics), and generated images as extra queries."""

    pixels: Tensor
    records: list[Record]
    enhancement: EnhancementSet | None = None
    generated: GeneratedImageOptions = GeneratedImageOptions()

    def __post_init__(self) -> None:
        if self.pixels.shape[0] != len(self.records):
            raise ValueError(f"{self.pixels.shape[0]} images but {len(self.records)} records")


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainingObjective:
    """What the model is trained toward, epoch by epoch.

    Attributes:
        labeller: makes each epoch's pseudo-labels (e.g. :class:`~unreid.engine.pseudo_labeller.ClusteringLabeller`).
        loss: scores each batch against the memory (see :class:`BatchQueryLoss`).
        memory: the memory (``instance_memory``), its momenta and the temperature (the ``loss`` section).
        level_ramp: the per-epoch scale of the intra and inter levels.
    """

    labeller: PseudoLabeller
    loss: BatchQueryLoss
    memory: LossConfig
    level_ramp: LevelRamp = field(default_factory=LevelRamp)


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainerRuntime:
    """How the trainer runs (precision, extraction, progress bars, DDP), as opposed to what it learns.

    Attributes:
        amp_dtype: autocast dtype (``None``: full precision).
        extract_batch_size: images per forward pass when extracting.
        extract_engine: the inference engine of each epoch's extraction (``eval.engine``).
        progress: show progress bars (on the main process only).
        dist_ctx: the DDP context (``None``: the initialised process group, if any).
    """

    amp_dtype: torch.dtype | None = None
    extract_batch_size: int = 256
    extract_engine: InferenceEngine | str = InferenceEngine.AUTO
    progress: bool = True
    dist_ctx: DistributedContext | None = None
