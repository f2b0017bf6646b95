"""unreid.report.model_selection: the kept epoch by lf_score against the best by labels, and the gap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from unreid.report.model_selection import select, selection_table


def test_gap_is_kept_minus_best(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    rows = [{"epoch": 0, "mAP": 0.10, "lf_score": 0.2}, {"epoch": 1, "mAP": 0.30, "lf_score": 0.4},
            {"epoch": 2, "mAP": 0.25, "lf_score": 0.5}, {"epoch": 3, "mAP": 0.20, "lf_score": 0.3},
            {"epoch": 4, "clusters": 9}]  # not evaluated: left out
    s = select(write_run(tmp_path / "a_s0", rows=rows))
    assert (s.final_epoch, s.best_epoch, s.kept_epoch) == (3, 1, 2)
    assert (s.final, s.best, s.kept) == pytest.approx((20.0, 30.0, 25.0))
    assert s.gap == pytest.approx(-5.0)
    # ranks of score 1, 3, 4, 2 against mAP 1, 4, 3, 2: d^2 = 0 + 1 + 1 + 0; rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert s.spearman == pytest.approx(0.8)


def test_table_closes_with_mean_and_worst_gap(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    tracked = [{"epoch": e, "mAP": m, "lf_score": m} for e, m in enumerate([0.1, 0.2, 0.3])]
    missed = [{"epoch": e, "mAP": m, "lf_score": -m} for e, m in enumerate([0.1, 0.2, 0.3])]
    lines = selection_table([select(write_run(tmp_path / "t_s0", rows=tracked)),
                             select(write_run(tmp_path / "m_s0", rows=missed))])
    assert lines[2] == "| t_s0 | 30.0 (2) | 30.0 (2) | 30.0 (2) | +0.0 | 1.00 |"
    assert lines[3] == "| m_s0 | 30.0 (2) | 30.0 (2) | 10.0 (0) | -20.0 | -1.00 |"
    assert lines[4] == "kept - best: mean -10.00, worst -20.00 over 2 runs"


def test_run_without_score_names_the_fix(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    run = write_run(tmp_path / "a_s0", rows=[{"epoch": 0, "mAP": 0.1}])
    with pytest.raises(ValueError, match="train.eval_every=1"):
        select(run)
