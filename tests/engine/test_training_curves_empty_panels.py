"""training_curves.png of a run without ground truth: the empty panels say why instead of staying blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from unreid.engine.run_log import append_metrics, plot_metrics


def _panel_texts(monkeypatch: pytest.MonkeyPatch, run_dir: Path) -> dict[str, list[str]]:
    drawn: dict[str, list[str]] = {}

    def capture(self: Figure, *args: Any, **kwargs: Any) -> None:
        drawn.update({ax.get_title(): [t.get_text() for t in ax.texts] for ax in self.axes})

    monkeypatch.setattr(Figure, "savefig", capture)
    plot_metrics(run_dir)
    return drawn


def test_panels_without_data_say_not_evaluated_or_no_ground_truth(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for epoch in range(2):
        append_metrics(tmp_path, {"epoch": epoch, "clusters": 5, "outliers": 1, "size_max": 9, "size_median": 3,
                                  "loss_centroid": 1.0, "time_train": 2.0})
    texts = _panel_texts(monkeypatch, tmp_path)
    assert any("not evaluated" in t for t in texts["evaluation (%)"])
    assert any("not evaluated" in t for t in texts["mAP (%) against time"])
    assert any("no ground truth" in t for t in texts["pseudo-label quality (ground truth)"])
    assert texts["pseudo-labels"] == [] and texts["loss per level"] == []


def test_panels_with_data_carry_no_such_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    append_metrics(tmp_path, {"epoch": 0, "mAP": 0.3, "R1": 0.5, "mINP": 0.1, "pl_precision": 0.8, "time_train": 1.0})
    texts = _panel_texts(monkeypatch, tmp_path)
    assert texts["evaluation (%)"] == [] and texts["pseudo-label quality (ground truth)"] == []
