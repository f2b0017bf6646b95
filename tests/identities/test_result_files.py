"""identities.csv / identities.json contents, the summary and the round trip through load_result."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from synthetic_days import day

from unreid.identities.assignment import assign_identities
from unreid.identities.result_files import IdentityResult, load_result, write_result_tables
from unreid.identities.summary import identity_summary, summary_lines


@pytest.fixture
def result() -> IdentityResult:
    crops, features, truth = day([0, 1, 2], 4, name="d", seed=0)
    truth[-1] = -1
    assignment = assign_identities(features, truth)
    return IdentityResult(crops=crops, identities=assignment.identities, similarities=assignment.similarities,
                          centroids=assignment.centroids, features=features, fingerprint="f00d")


def test_csv_and_json_rows(tmp_path: Path, result: IdentityResult) -> None:
    write_result_tables(tmp_path, result, extra={"settings": {"attach_similarity": None}})
    with (tmp_path / "identities.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["path", "camera", "track", "identity", "similarity"]
    assert len(rows) == 12
    assert rows[0]["path"] == "/d/0000_000.jpg" and rows[0]["camera"] == "c1" and rows[1]["camera"] == "c2"
    assert rows[0]["identity"] == "0" and rows[0]["track"] == ""
    assert float(rows[0]["similarity"]) == pytest.approx(float(result.similarities[0]), abs=1e-4)
    assert rows[-1]["identity"] == "-1" and rows[-1]["similarity"] == ""
    table = json.loads((tmp_path / "identities.json").read_text())
    assert table["model_fingerprint"] == "f00d" and table["num_identities"] == 3
    assert table["crops"][-1]["similarity"] is None and table["crops"][0]["camera_id"] == 0
    assert np.load(tmp_path / "centroids.npy").shape == (3, 32)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_load_result_round_trip(tmp_path: Path, result: IdentityResult) -> None:
    write_result_tables(tmp_path, result, extra={})
    loaded, _ = load_result(tmp_path)
    assert loaded.identities.tolist() == result.identities.tolist()
    assert loaded.crops == result.crops and loaded.fingerprint == "f00d"
    assert loaded.features == pytest.approx(result.features)


def test_load_result_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no identities result here .*identities.json"):
        load_result(tmp_path)


def test_summary_counts(result: IdentityResult) -> None:
    summary = identity_summary(result.crops, result.identities)
    assert (summary["identities"], summary["unassigned"], summary["assigned"]) == (3, 1, 11)
    assert summary["cameras_per_identity"] == {"2": 3}
    assert summary["sizes"] == {"min": 3, "median": 4.0, "mean": 3.67, "max": 4}
    assert summary["size_distribution"]["3-4"] == 3 and sum(summary["size_distribution"].values()) == 3
    assert summary_lines(summary)[0] == "12 crops -> 3 identities; 1 unassigned (8.3%)"
