"""``unreid identities``: clear messages before any extraction, and a tiny end-to-end run with --into."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from tiny_world import save_tiny_checkpoint, write_market_folder

from unreid.cli.main import main


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("identities")
    save_tiny_checkpoint(root / "model.pth")
    write_market_folder(root / "day1", persons=4, cameras=2, shots=3)
    write_market_folder(root / "day2", persons=5, cameras=2, shots=1, first_camera=2)
    (root / "empty").mkdir()
    return root


def refused(argv: list[str], caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    assert main(argv) == 2
    return caplog.records[-1].getMessage()


def test_bad_inputs_are_refused_before_extraction(world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    model, day1, out = str(world / "model.pth"), str(world / "day1"), str(tmp_path / "out")
    assert "no such folder" in refused(["identities", model, str(world / "nope"), "--out", out], caplog)
    assert "holds no *.jpg" in refused(["identities", model, str(world / "empty"), "--out", out], caplog)
    assert "MODEL" in refused(["identities", str(world / "missing.pth"), day1, "--out", out], caplog)
    (tmp_path / "notes.txt").write_text("x")
    assert "expected a .pth, .pt, .onnx file" in refused(["identities", str(tmp_path / "notes.txt"), day1, "--out", out],
                                                         caplog)
    assert "crop folder" in refused(["identities", model, day1, "--out", day1], caplog)
    assert "crop folder" in refused(["identities", model, day1, "--out", str(world / "day1" / "res")], caplog)
    assert "is the model file" in refused(["identities", model, day1, "--out", model], caplog)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    assert "--overwrite" in refused(["identities", model, day1, "--out", str(tmp_path / "full")], caplog)
    assert "no identities result here" in refused(["identities", model, day1, "--into", str(tmp_path / "full")], caplog)
    assert "cosine similarity lies in [-1, 1]" in refused(
        ["identities", model, day1, "--out", out, "--attach-similarity", "2"], caplog)
    assert "--join-threshold applies to --into" in refused(
        ["identities", model, day1, "--out", out, "--join-threshold", "0.5"], caplog)
    assert not (tmp_path / "out").exists()  # nothing was written for any of them
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["mine.txt"]


def test_corrupt_model_is_refused(world: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "model.pth").write_bytes(b"not a checkpoint")
    message = refused(["identities", str(tmp_path / "model.pth"), str(world / "day1"), "--out", str(tmp_path / "o")],
                      caplog)
    assert "model.pth" in message


@pytest.mark.slow
def test_end_to_end_then_into(world: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ids"
    assert main(["identities", str(world / "model.pth"), str(world / "day1"), "--out", str(out),
                 "--attach-similarity", "0.0"]) == 0
    printed = capsys.readouterr().out
    assert "24 crops -> " in printed and "pairwise precision" in printed and "identities found" in printed
    with (out / "identities.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 24 and {r["camera"] for r in rows} == {"c1", "c2"}
    summary = json.loads((out / "summary.json").read_text())
    identities = {int(r["identity"]) for r in rows} - {-1}
    assert summary["identities"] == len(identities) and summary["crops"] == 24
    assert summary["unassigned"] == sum(r["identity"] == "-1" for r in rows)
    assert summary["agreement"]["identities_true"] == 4 and summary["agreement"]["crops"] == 24
    assert identities, "attach similarity 0 attaches every crop once one identity exists"
    assert sorted(p.name for p in (out / "grids").iterdir()) == [f"identity_{i:04d}.jpg" for i in sorted(identities)]
    assert np.load(out / "centroids.npy").shape == (len(identities), 512)
    assert (out / "identity_sizes.png").stat().st_size > 0
    table = json.loads((out / "identities.json").read_text())
    assert table["model_fingerprint"] and table["crops"][0]["camera_id"] == 0

    assert main(["identities", str(world / "model.pth"), str(world / "day2"), "--into", str(out)]) == 0
    assert "added 10 crops" in capsys.readouterr().out
    with (out / "identities.csv").open() as handle:
        after = list(csv.DictReader(handle))
    def kept(row: dict[str, str]) -> tuple[str, ...]:
        return row["path"], row["camera"], row["identity"]

    assert len(after) == 34  # old rows first, their identities unchanged (similarities follow the moved centroids)
    assert [kept(r) for r in after[:24]] == [kept(r) for r in rows]
    assert all(Path(r["path"]).parent.name == "day2" for r in after[24:])
    assert json.loads((out / "summary.json").read_text())["crops"] == 34

    (out / "mine.txt").write_text("keep")
    assert main(["identities", str(world / "model.pth"), str(world / "day1"), "--out", str(out), "--overwrite"]) == 0
    assert (out / "mine.txt").read_text() == "keep"
    with (out / "identities.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 24
