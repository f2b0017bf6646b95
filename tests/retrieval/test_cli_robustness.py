"""``extract`` / ``index build`` / ``search`` / ``export`` / ``evaluate``: problems found before the work, all at once,
in one line each (never a traceback)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from tiny_world import write_market_folder

from unreid.cli.main import main
from unreid.retrieval.feature_file import load_features


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def crops_with_bad_files(tmp_path: Path) -> tuple[Path, list[Path]]:
    folder = tmp_path / "crops"
    good = write_market_folder(folder, persons=2, cameras=2, shots=1)
    bad = [folder / "0009_c1s1_000001_00.jpg", folder / "0009_c2s1_000002_00.jpg", folder / "0009_c3s1_000003_00.jpg"]
    bad[0].write_bytes(b"")  # empty
    bad[1].write_text("not an image")  # header fails
    data = good[0].read_bytes()
    bad[2].write_bytes(data[: len(data) * 2 // 3])  # truncated: its header reads, its pixels do not
    return folder, bad


def test_extract_lists_every_unreadable_file_or_skips_them(crops_with_bad_files: tuple[Path, list[Path]],
                                                           tiny_checkpoint: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    folder, bad = crops_with_bad_files
    out = tmp_path / "f.npy"
    assert main(["extract", str(folder), "--checkpoint", str(tiny_checkpoint), "--out", str(out)]) == 2
    [line] = _errors(caplog)
    assert "2 unreadable image file(s)" in line and "--bad-files skip" in line  # the header scan, before embedding
    assert str(bad[0]) in line and str(bad[1]) in line and not out.exists()
    caplog.clear()
    bad[0].unlink()
    bad[1].unlink()
    assert main(["extract", str(folder), "--checkpoint", str(tiny_checkpoint), "--out", str(out)]) == 2
    [line] = _errors(caplog)
    assert "1 unreadable image file(s)" in line and str(bad[2]) in line and not out.exists()
    assert main(["extract", str(folder), "--checkpoint", str(tiny_checkpoint), "--out", str(out),
                 "--bad-files", "skip"]) == 0
    loaded = load_features(out)
    assert loaded.features.shape[0] == 4 and all(r.path != bad[2] for r in loaded.records)


def test_index_build_skips_unreadable_files(crops_with_bad_files: tuple[Path, list[Path]], tiny_checkpoint: Path,
                                            tmp_path: Path) -> None:
    from unreid.retrieval.index_store import load_index

    folder, _ = crops_with_bad_files
    assert main(["index", "build", str(folder), "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path / "i"),
                 "--bad-files", "skip"]) == 0
    assert len(load_index(tmp_path / "i")) == 4


def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from unreid.retrieval.feature_extractor import FeatureExtractor

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before the output path was checked")

    monkeypatch.setattr(FeatureExtractor, "from_checkpoint", refuse)


@pytest.mark.parametrize("kind", ["under a file", "name too long"])
def test_unwritable_outputs_are_found_before_the_work(kind: str, tiny_checkpoint: Path, eval_root: Path,
                                                      tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    bad = tmp_path / "file" / "out" if kind == "under a file" else tmp_path / ("x" * 300)
    shutil.copytree(eval_root / "query", tmp_path / "q")
    _no_model(monkeypatch)
    commands = [
        ["extract", str(tmp_path / "q"), "--checkpoint", str(tiny_checkpoint), "--out", f"{bad}.npy"],
        ["index", "build", str(tmp_path / "q"), "--checkpoint", str(tiny_checkpoint), "--out", str(bad)],
        ["search", str(tmp_path), str(tmp_path / "q"), "--checkpoint", str(tiny_checkpoint), "--json", f"{bad}.json"],
        ["export", "onnx", "--checkpoint", str(tiny_checkpoint), "--out", f"{bad}.onnx"],
        ["evaluate", str(tiny_checkpoint), "--grid", f"{bad}.png"],
    ]
    for command in commands:
        caplog.clear()
        assert main(command) == 2, command
        [line] = _errors(caplog)
        assert str(bad) in line and ("too long" in line or "is a file, not a folder" in line), line
