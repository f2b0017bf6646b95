"""The one output rule: inputs, roots, the home folder, finished runs, indexes and foreign files are kept."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from unreid.io.output_guard import check_output_file, check_output_folder, refuse_protected_folder
from unreid.io.safe_load import load_checkpoint


def test_an_output_equal_to_an_input_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    model = tmp_path / "m" / "model.pth"
    model.parent.mkdir()
    model.write_bytes(b"weights")
    with pytest.raises(ValueError, match=r"--out .*model.pth.* is also an input"):
        check_output_file(tmp_path / "m" / ".." / "m" / "model.pth", flag="--out", overwrite=True, inputs=[model])


def test_an_existing_file_needs_overwrite_unless_recognised(tmp_path: Path) -> None:
    mine = tmp_path / "notes.onnx"
    mine.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"--out .*notes.onnx.* already exists.*--overwrite"):
        check_output_file(mine, flag="--out", overwrite=False)
    assert check_output_file(mine, flag="--out", overwrite=True) == mine
    assert check_output_file(mine, flag="--out", overwrite=False, ours=lambda p: p.suffix == ".onnx") == mine
    assert check_output_file(tmp_path / "new.onnx", flag="--out", overwrite=False) == tmp_path / "new.onnx"


def test_a_recognised_file_inside_a_finished_run_still_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(ValueError, match="finished run"):
        check_output_file(tmp_path / "model.onnx", flag="--out", overwrite=False, ours=lambda p: True)


@pytest.mark.parametrize("markers, words", [
    (("model.pth",), "finished run"), (("meta.json",), "gallery index"), (("features.npy",), "would replace"),
])
def test_output_folders_holding_work_need_overwrite(markers: tuple[str, ...], words: str, tmp_path: Path) -> None:
    for name in markers:
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(ValueError, match=words):
        check_output_folder(tmp_path, flag="--out", overwrite=False, writes=("features.npy", "meta.json"))
    assert check_output_folder(tmp_path, flag="--out", overwrite=True, writes=("features.npy",)) == tmp_path
    (tmp_path / "other").mkdir()
    assert check_output_folder(tmp_path / "other", flag="--out", overwrite=False, writes=("features.npy",))


def test_root_and_home_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ValueError, match="file system root"):
        refuse_protected_folder(Path("/"), flag="--out")
    with pytest.raises(ValueError, match="home folder"):
        check_output_folder(Path("~"), flag="--out", overwrite=True, writes=())
    refuse_protected_folder(tmp_path / "runs", flag="--out")


def test_damaged_raw_pickle_message_keeps_torchs_cause_not_its_advice(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "raw.pth"
    path.write_bytes(b"\x80\x02damaged")
    advice = ("Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those "
              "steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we changed the "
              "default value of the `weights_only` argument. Re-running `torch.load` with `weights_only` set to "
              "`False` will likely succeed.\n\tWeightsUnpickler error: Unsupported operand 149\n\nCheck the docs.")

    def damaged(*args: object, **kwargs: object) -> None:
        raise pickle.UnpicklingError(advice)

    monkeypatch.setattr(torch, "load", damaged)
    with pytest.raises(ValueError) as error:
        load_checkpoint(path)
    assert "Unsupported operand 149" in str(error.value) and "Re-running" not in str(error.value)
    assert "weights_only" not in str(error.value) and str(path) in str(error.value)


def test_non_finite_weights_are_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "model.pth"
    torch.save({"model": {"a.weight": torch.tensor([1.0, float("nan")]), "b": torch.ones(2),
                          "steps": torch.tensor([3])}}, path)
    with pytest.raises(ValueError, match=r"model.pth: the checkpoint holds weights that are not finite "
                                         r"\(NaN/inf in a.weight \(1\)\)"):
        load_checkpoint(path)
    torch.save({"model": {"a.weight": torch.ones(2)}}, path)
    assert load_checkpoint(path)["model"]["a.weight"].sum() == 2
