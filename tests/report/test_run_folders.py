"""unreid.report.run_folders: the ``<variant>_s<seed>`` name, finding runs, clear errors on bad files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from unreid.report.run_folders import find_runs, parse_run_name, read_results, read_run_metrics


@pytest.mark.parametrize(("name", "parsed"), [
    ("centroid_s0", ("centroid", 0)),
    ("three_levels_s12", ("three_levels", 12)),
    ("a_s1_s2", ("a_s1", 2)),  # the last _s<digits> is the seed
    ("centroid", None),
    ("centroid_s", None),
    ("centroid_sx", None),
    ("_s3", None),
    ("centroid_s1.log", None),
])
def test_parse_run_name(name: str, parsed: tuple[str, int] | None) -> None:
    assert parse_run_name(name) == parsed


def test_find_runs_groups_by_variant_across_folders(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_run(a / "centroid_s0", rows=[{"epoch": 0}], final={"mAP": 0.1, "R1": 0.2})
    write_run(b / "centroid_s1", rows=[{"epoch": 0}])  # unfinished
    write_run(a / "teacher_s0", final={"mAP": 0.1, "R1": 0.2})  # finished, no metrics
    (a / "teacher_s1").mkdir()  # not started
    (a / "notes").mkdir()  # not a run folder
    (a / "centroid_s2.log").write_text("log")  # a file, not a folder
    runs = find_runs([a, b])
    assert {name: [(r.path.name, r.seed) for r in rs] for name, rs in runs.items()} == {
        "centroid": [("centroid_s0", 0), ("centroid_s1", 1)], "teacher": [("teacher_s0", 0)]}
    finished = find_runs([a, b], finished_only=True)
    assert {name: [r.seed for r in rs] for name, rs in finished.items()} == {"centroid": [0], "teacher": [0]}


def test_missing_folder_and_broken_files_name_the_file(tmp_path: Path, write_run: Callable[..., Path]) -> None:
    with pytest.raises(ValueError, match="no_such_dir: no such folder"):
        find_runs([tmp_path / "no_such_dir"])
    run = write_run(tmp_path / "x_s0", rows=[{"epoch": 0}])
    with pytest.raises(ValueError, match=r"x_s0/results.json: no such file"):
        read_results(run)
    (run / "results.json").write_text("{not json")
    with pytest.raises(ValueError, match="results.json: not valid JSON"):
        read_results(run)
    (run / "metrics.jsonl").write_text('{"epoch": 0}\n{"epoch": 1, "mA')
    with pytest.raises(ValueError, match="metrics.jsonl: line 2 is not valid JSON"):
        read_run_metrics(run)
