"""The background plotter draws the newest metrics and has finished when close() returns."""

from __future__ import annotations

from pathlib import Path

from unreid.engine.background_plotter import BackgroundPlotter
from unreid.engine.run_log import append_metrics


def test_draws_latest_and_close_waits(tmp_path: Path) -> None:
    plotter = BackgroundPlotter(tmp_path)
    for epoch in range(3):
        append_metrics(tmp_path, {"epoch": epoch, "clusters": 10 + epoch, "outliers": 2, "mAP": 0.1 * epoch,
                                  "loss_centroid": 3.0 - epoch, "time_train": 1.0})
        plotter.request()
    plotter.close()
    curves = tmp_path / "training_curves.png"
    assert curves.is_file() and curves.stat().st_size > 10_000
    assert not plotter._thread.is_alive()


def test_empty_run_folder_draws_nothing(tmp_path: Path) -> None:
    plotter = BackgroundPlotter(tmp_path)
    plotter.request()
    plotter.close()
    assert not (tmp_path / "training_curves.png").exists()
