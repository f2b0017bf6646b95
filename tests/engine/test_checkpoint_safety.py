"""Loading a ``.pth`` never runs code from it: every reader refuses a pickle that names a callable."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unreid.cli.main import main
from unreid.engine.checkpoint import load_checkpoint, save_atomic


class _RunsCode:
    """A pickle payload whose loading would run ``touch PWNED`` in the current folder."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("touch PWNED",)


@pytest.fixture
def evil(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.pth"
    torch.save({"model": {"w": torch.zeros(2)}, "model_spec": {"backbone": "resnet18", "height": 8, "width": 4},
                "history": [_RunsCode()]}, path)
    return path


def _refused(message: str, path: Path) -> None:
    assert str(path) in message and "refused" in message and "run code" in message and ".system" in message  # posix.system


def test_load_checkpoint_refuses_code_and_runs_nothing(evil: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError) as error:
        load_checkpoint(evil)
    _refused(str(error.value), evil)
    assert not (tmp_path / "PWNED").exists()


def test_every_reader_refuses(evil: Path, tmp_path: Path) -> None:
    from unreid.generator.learned_style import load_learned_style
    from unreid.retrieval.feature_extractor import FeatureExtractor
    from unreid.weights.state_dict_file import read_state_dict

    for read in (FeatureExtractor.from_checkpoint, read_state_dict, load_learned_style):
        with pytest.raises(ValueError) as error:
            read(evil)
        _refused(str(error.value), evil)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("command", [
    ["extract", "{dir}", "--out", "{dir}/f.npy", "--checkpoint", "{pth}"],
    ["evaluate", "{pth}"],
    ["export", "onnx", "--checkpoint", "{pth}", "--out", "{dir}/m.onnx"],
    ["search", "{dir}/index", "{dir}", "--checkpoint", "{pth}"],
    ["serve", "{dir}/index", "--checkpoint", "{pth}", "--port", "0"],
])
def test_commands_refuse_with_one_line(command: list[str], evil: Path, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    from unreid.data.records import Record
    from unreid.retrieval.gallery_index import GalleryIndex
    from unreid.retrieval.index_store import save_index

    records = [Record(path=tmp_path / f"{i}.jpg", person_id=i, camera_id=0) for i in range(4)]
    save_index(GalleryIndex(np.eye(4, dtype=np.float32), records=records, kind="torch"), tmp_path / "index")
    Image.new("RGB", (8, 16)).save(tmp_path / "0001_c1s1_000001_00.jpg")
    args = [part.format(dir=tmp_path, pth=evil) for part in command]
    assert main(args) == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    _refused(errors[0], evil)
    assert not (tmp_path / "PWNED").exists()


def test_what_unreid_writes_loads_safely(tmp_path: Path) -> None:
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    state = {"epoch": 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "history": [{"nmi": np.float64(0.5), "clusters": np.int64(3)}], "model_spec": {"backbone": "x"}}
    save_atomic(state, tmp_path / "last.pth")
    loaded = load_checkpoint(tmp_path / "last.pth")
    assert loaded["history"] == [{"nmi": 0.5, "clusters": 3}] and type(loaded["history"][0]["nmi"]) is float
    assert torch.equal(loaded["model"]["weight"], model.state_dict()["weight"])
    assert loaded["optimizer"]["state"][0]["step"] == optimizer.state_dict()["state"][0]["step"]
