"""JSON outputs name cameras one-based (``"c1"``, as the grids do) beside the zero-based ``camera_id``."""

from __future__ import annotations

from pathlib import Path

from unreid.data.records import Record, camera_name
from unreid.retrieval.feature_file import records_from_json, records_to_json
from unreid.retrieval.search_results import Hit, results_as_json


def test_camera_name_is_one_based_and_none_when_unknown() -> None:
    assert [camera_name(c) for c in (0, 1, 5, -1)] == ["c1", "c2", "c6", None]


def test_search_json_carries_both_camera_fields() -> None:
    query = Record(Path("q.jpg"), 3, 0)
    hits = [[Hit(1, 7, 0.9, Record(Path("g.jpg"), 3, 2)), Hit(2, 4, 0.5, Record(Path("u.jpg"), -1, -1))]]
    [row] = results_as_json([query], hits)
    assert (row["camera"], row["camera_id"]) == ("c1", 0)
    assert [(h["camera"], h["camera_id"]) for h in row["results"]] == [("c3", 2), (None, -1)]


def test_feature_records_json_round_trips_with_the_camera_name() -> None:
    records = [Record(Path("a.jpg"), 1, 0), Record(Path("b.jpg"), -1, 5)]
    rows = records_to_json(records)
    assert [(r["camera"], r["camera_id"]) for r in rows] == [("c1", 0), ("c6", 5)]
    assert records_from_json(rows) == records
