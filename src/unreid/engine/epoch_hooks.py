"""What happens around the epoch loop that is not training: evaluation, the metrics log, checkpoints, plots.

Each concern is one hook with ``after_epoch(trainer, row)`` and ``after_training(trainer)``,
called on the main process in the order given (evaluation first, so the metrics line
and the checkpoint carry its figures). A new concern is a new hook, not a new branch in
the loop (fast-reid's ``HookBase`` is the model).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from unreid.data.records import Record
from unreid.engine.background_plotter import BackgroundPlotter
from unreid.engine.checkpoint import LAST, PREVIOUS, save_atomic
from unreid.engine.eta import EpochClock
from unreid.engine.feature_dump import save_epoch_features
from unreid.engine.run_log import METRICS_FILE, append_metrics, truncate_metrics
from unreid.engine.trainer_view import TrainerView
from unreid.losses.levels import level_names

logger = logging.getLogger(__name__)

MODEL = "model.pth"


class EpochHook:
    """Does nothing; subclasses override what they need."""

    def before_training(self, trainer: TrainerView) -> None:
        """Before the first epoch of this process (``trainer.start_epoch > 0`` when resuming)."""

    def after_extract(self, trainer: TrainerView, features: Tensor) -> None:
        """``features [N, D]``: this epoch's features of every training image, before pseudo-labelling."""

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        """``row`` is the epoch's metrics row; hooks may add to it (later hooks see the additions)."""

    def after_training(self, trainer: TrainerView) -> None:
        """After the last epoch (also when resuming a finished run), and after a failed epoch, when
        ``trainer.failure`` holds the error (raised again once every hook has run)."""


class EvaluationHook(EpochHook):
    """Evaluate the trainer's ``inference_model`` (the mean teacher, if on) every ``every`` epochs and after
    the last one (``every=0``: the last one only)."""

    def __init__(self, evaluate: Callable[[nn.Module], dict[str, float]], *, every: int) -> None:
        self.evaluate, self.every = evaluate, every

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        epoch = row["epoch"]
        if epoch == trainer.epochs - 1 or (self.every > 0 and (epoch + 1) % self.every == 0):
            t0 = time.perf_counter()
            row.update(self.evaluate(trainer.inference_model))
            row["time_eval"] = round(time.perf_counter() - t0, 3)


class MetricsLogHook(EpochHook):
    """One JSON line per epoch in ``run_dir/metrics.jsonl`` and one readable log line, ending with the
    elapsed time and an ETA for the rest of the run."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.clock = EpochClock(first_epoch=0, total_epochs=0)

    def before_training(self, trainer: TrainerView) -> None:
        """Keep the rows of the epochs a resumed run already finished; a fresh run starts an empty log."""
        self.clock = EpochClock(first_epoch=trainer.start_epoch, total_epochs=trainer.epochs)
        if trainer.start_epoch > 0:
            truncate_metrics(self.run_dir, last_epoch=trainer.start_epoch - 1)
        elif (self.run_dir / METRICS_FILE).exists():
            (self.run_dir / METRICS_FILE).unlink()

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        append_metrics(self.run_dir, row)
        logger.info("%s | %s", epoch_line(row), self.clock.line(finished_epoch=row["epoch"]))


class CheckpointHook(EpochHook):
    """``last.pth`` after every epoch (what ``--resume`` continues from; the one before it is kept as
    ``previous.pth``, the fallback for a damaged ``last.pth``), ``model.pth`` (the trainer's
    :attr:`~unreid.engine.unsupervised_trainer.UnsupervisedTrainer.inference_model`: the mean teacher, if on) at the end."""

    def __init__(self, run_dir: Path, *, model_spec: dict[str, Any]) -> None:
        self.run_dir, self.model_spec = run_dir, model_spec

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        save_atomic({**trainer.state_dict(), "model_spec": self.model_spec}, self.run_dir / LAST,
                    keep_previous=self.run_dir / PREVIOUS)

    def after_training(self, trainer: TrainerView) -> None:
        if trainer.failure is not None:
            return  # a failed run leaves last.pth of its last good epoch, and no model.pth
        save_atomic({"model": trainer.inference_model.state_dict(), "model_spec": self.model_spec,
                     "history": trainer.history}, self.run_dir / MODEL)


class FeatureDumpHook(EpochHook):
    """Each epoch's training features as float16 ``.npy`` in ``run_dir/features`` (``train.save_features``)."""

    def __init__(self, run_dir: Path, *, records: list[Record]) -> None:
        self.run_dir, self.records = run_dir, records

    def after_extract(self, trainer: TrainerView, features: Tensor) -> None:
        save_epoch_features(run_dir=self.run_dir, epoch=trainer.epoch, features=features, records=self.records)


class PlotHook(EpochHook):
    """Redraws ``training_curves.png`` in a background process after each epoch."""

    def __init__(self, run_dir: Path) -> None:
        self.plotter = BackgroundPlotter(run_dir)

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        self.plotter.request()

    def after_training(self, trainer: TrainerView) -> None:
        self.plotter.close()


def epoch_line(row: dict[str, Any]) -> str:
    """The log line of one metrics row."""
    parts = [f"epoch {row['epoch']:3d}", f"clusters {row['clusters']}", f"outliers {row['outliers']}"]
    if "size_max" in row:
        parts.append(f"eps {row['eps']:.3f} sizes max {row['size_max']:.0f} median {row['size_median']:.0f}")
    parts += [f"{name} {row[f'loss_{name}']:.3f}" for name in level_names() if f"loss_{name}" in row]
    if "pl_nmi" in row:
        parts.append(f"pseudo NMI {row['pl_nmi']:.3f} P/R {row.get('pl_precision', 0):.2f}/{row.get('pl_recall', 0):.2f}"
                     f" same-camera merges {row.get('pl_false_merge_same_camera', 0):.2f}")
    if "mAP" in row:
        parts.append(f"mAP {100 * row['mAP']:.1f} R1 {100 * row['R1']:.1f}")
    parts.append("time " + " ".join(f"{k[5:]} {v:.1f}s" for k, v in row.items() if k.startswith("time_")))
    return " | ".join(parts)
