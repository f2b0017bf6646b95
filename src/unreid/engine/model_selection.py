"""Which checkpoint to keep, without labels: ``best.pth`` by the label-free score, ``epoch_NNN.pth`` on request.

The score of each epoch's model (:mod:`unreid.evaluation.label_free_score`) is in its
metrics row; the hook keeps the model of the highest score as ``best.pth`` (same format
as ``model.pth``, plus ``epoch`` and the score), so ``unreid evaluate``, ``extract``,
``search`` and ``serve`` take it as they take ``model.pth`` (the final epoch). With
``train.keep_checkpoints N`` every N-th epoch's model is kept as well.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from unreid.engine.checkpoint import save_atomic
from unreid.engine.epoch_hooks import EpochHook
from unreid.engine.trainer_view import TrainerView
from unreid.evaluation.label_free_score import SCORE_KEY
from unreid.io.safe_load import load_checkpoint

logger = logging.getLogger(__name__)

BEST = "best.pth"


def epoch_checkpoint_name(epoch: int) -> str:
    """``epoch_007.pth`` for epoch 7 (0-based, as in ``metrics.jsonl``)."""
    return f"epoch_{epoch:03d}.pth"


class ModelSelectionHook(EpochHook):
    """Saves ``best.pth`` whenever an epoch's label-free score reaches the best so far (a tie goes to the
    later epoch), and every
    ``keep_every``-th epoch's model as ``epoch_NNN.pth`` (``0``: none)."""

    def __init__(self, run_dir: Path, *, model_spec: dict[str, Any], keep_every: int = 0) -> None:
        self.run_dir, self.model_spec, self.keep_every = run_dir, model_spec, keep_every
        self.best: float | None = None
        self.best_epoch: int | None = None

    def before_training(self, trainer: TrainerView) -> None:
        """A resumed run continues against the score of the ``best.pth`` it already has."""
        self.best, self.best_epoch = None, None
        path = self.run_dir / BEST
        if trainer.start_epoch > 0 and path.is_file():
            state = load_checkpoint(path, required=("model", "score", "epoch"))
            self.best, self.best_epoch = float(state["score"]), int(state["epoch"])

    def after_epoch(self, trainer: TrainerView, row: dict[str, Any]) -> None:
        epoch = int(row["epoch"])
        state = {"model": trainer.inference_model.state_dict(), "model_spec": self.model_spec, "epoch": epoch}
        score = row.get(SCORE_KEY)
        if score is not None and (self.best is None or score >= self.best):  # ties: the later, longer-trained epoch
            self.best, self.best_epoch = float(score), epoch
            save_atomic({**state, "score": float(score), "score_name": SCORE_KEY}, self.run_dir / BEST)
        if self.keep_every > 0 and (epoch + 1) % self.keep_every == 0:
            save_atomic({**state, "score": score}, self.run_dir / epoch_checkpoint_name(epoch))
        if self.best_epoch is not None:
            row["selected_epoch"] = self.best_epoch

    def after_training(self, trainer: TrainerView) -> None:
        if self.best_epoch is not None:
            logger.info("label-free choice: epoch %d (%s %.4f) kept as %s; model.pth is the last epoch",
                        self.best_epoch, SCORE_KEY, self.best, self.run_dir / BEST)
