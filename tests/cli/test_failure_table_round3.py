"""Issue 28's table (reliability round 3): outputs that destroyed inputs or finished work, early checks.

Each case runs the command as a user would and asserts the exit code, one error line
naming the path (or key) and the way out, and that nothing on disk changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_run import copy_run, error_lines, tiny_args

from unreid.cli.main import main


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(args: list[str], caplog: pytest.LogCaptureFixture, *words: str) -> str:
    caplog.clear()
    assert main(args) == 2
    [line] = error_lines(caplog)
    assert all(word in line for word in words), line
    return line


def _no_model_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded before the check")

    monkeypatch.setattr("unreid.retrieval.feature_extractor.FeatureExtractor.from_checkpoint", fail)
    monkeypatch.setattr("unreid.cli.model_arguments.load_embedder", fail)


def test_demo_over_a_trained_run_refuses_and_deletes_nothing(finished_run: Path, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "victim")
    before = _snapshot(run)
    _refused(["demo", "--out", str(run), "--no-progress"], caplog, str(run), "--overwrite")
    assert _snapshot(run) == before


def test_train_into_a_folder_of_the_users_own_files_refuses(synthetic_root: Path, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    user = tmp_path / "userdir"
    user.mkdir()
    for name in ("config.yaml", "results.json", "metrics.jsonl", "training_curves.png"):
        (user / name).write_text(f"my own {name}")
    before = _snapshot(user)
    _refused(tiny_args(user, synthetic_root), caplog, str(user), "results.json", "--overwrite")
    assert _snapshot(user) == before
    (user / "results.json").unlink()  # a config.yaml alone that no run of ours wrote is refused too
    _refused(tiny_args(user, synthetic_root), caplog, "config.yaml", "--overwrite")


@pytest.mark.parametrize("folder, words", [("/", "file system root"), ("~", "no value"), ("'~'", "home folder")])
def test_train_into_root_or_home_refuses(folder: str, words: str, synthetic_root: Path, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    args = tiny_args(folder, synthetic_root) + ["--overwrite"]  # type: ignore[arg-type]  # the text as typed
    _refused(args, caplog, words, "output_dir")
    assert list(home.iterdir()) == [] and not Path("/config.yaml").exists()


def test_resume_auto_on_a_finished_run_without_last_refuses(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    (run / "last.pth").unlink()
    before = _snapshot(run)
    _refused(tiny_args(run, synthetic_root) + ["--resume", "auto"], caplog, "model.pth", "last.pth", "previous.pth",
             "--overwrite")
    assert _snapshot(run) == before


def test_resume_with_fewer_epochs_than_trained_refuses(finished_run: Path, synthetic_root: Path, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    run = copy_run(finished_run, tmp_path / "run")
    before = _snapshot(run)
    _refused(tiny_args(run, synthetic_root, train__epochs=1) + ["--resume"], caplog, "train.epochs=1",
             "2 epochs")
    assert _snapshot(run) == before


def test_zero_epochs_writes_no_trained_row(synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    run = tmp_path / "run"
    assert main(tiny_args(run, synthetic_root, train__epochs=0)) == 0
    printed = capsys.readouterr().out
    assert "| untrained |" in printed and "trained (unreid)" not in printed
    assert not json.loads((run / "results.json").read_text())["after"]  # {} or null: no trained model


def test_export_onto_its_checkpoint_refuses(finished_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    model = shutil.copy(finished_run / "model.pth", tmp_path / "model.pth")
    before = Path(model).read_bytes()
    _no_model_loading(monkeypatch)
    _refused(["export", "onnx", "--checkpoint", str(model), "--out", str(model)], caplog, str(model), "input")
    assert Path(model).read_bytes() == before


def test_search_outputs_onto_inputs_and_top_k_zero_refuse_before_loading(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = Path(shutil.copy(finished_run / "model.pth", tmp_path / "model.pth"))
    query = Path(shutil.copy(sorted((synthetic_root / "query").glob("*.jpg"))[0], tmp_path / "q.jpg"))
    before = model.read_bytes(), query.read_bytes()
    _no_model_loading(monkeypatch)
    base = ["search", str(tmp_path / "index"), str(query), "--checkpoint", str(model)]
    _refused(base + ["--json", str(model)], caplog, "--json", str(model), "input")
    _refused(base + ["--grid", str(query)], caplog, "--grid", str(query), "input")
    _refused(base + ["--top-k", "0"], caplog, "--top-k 0", ">= 1")
    assert (model.read_bytes(), query.read_bytes()) == before


def test_weights_out_over_a_file_that_is_not_weights_refuses_before_fetching(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "some_query.jpg"
    photo.write_bytes(b"\xff\xd8my photo")
    monkeypatch.setattr("unreid.weights.mobilenet_v2.fetch_mobilenet_v2", lambda **kw: pytest.fail("fetched"))
    _refused(["weights", "--name", "mobilenetv2_100", "--out", str(photo)], caplog, str(photo), "--overwrite")
    assert photo.read_bytes() == b"\xff\xd8my photo"


def _fake_index(folder: Path) -> Path:
    from unreid.retrieval.gallery_index import GalleryIndex
    from unreid.retrieval.index_store import save_index

    features = torch.nn.functional.normalize(torch.randn(12, 8), dim=1)  # [12, 8]
    return save_index(GalleryIndex(features, kind="exact", fingerprint=None), folder)


def test_extract_into_an_index_over_a_file_or_with_a_bad_suffix_refuses(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = _fake_index(tmp_path / "idx")
    before = _snapshot(index)
    notes = tmp_path / "notes.npy"
    notes.write_bytes(b"mine")
    _no_model_loading(monkeypatch)
    base = ["extract", str(synthetic_root / "query"), "--checkpoint", str(finished_run / "model.pth")]
    _refused(base + ["--out", str(index / "features.npy")], caplog, "gallery index", "--overwrite")
    _refused(base + ["--out", str(notes)], caplog, str(notes), "--overwrite")
    _refused(base + ["--out", str(tmp_path / "f.txt")], caplog, "f.txt", ".npy")
    assert _snapshot(index) == before and notes.read_bytes() == b"mine"


def test_index_build_over_an_index_or_into_a_run_refuses(finished_run: Path, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    index = _fake_index(tmp_path / "idx")
    features = tmp_path / "feats.npy"
    np.save(features, np.eye(4, dtype=np.float32))
    before = _snapshot(index)
    _refused(["index", "build", str(features), "--out", str(index)], caplog, str(index), "gallery index",
             "--overwrite")
    assert _snapshot(index) == before
    run = copy_run(finished_run, tmp_path / "run")
    _refused(["index", "build", str(features), "--out", str(run)], caplog, str(run), "finished run", "--overwrite")


@pytest.mark.parametrize("damage, file", [
    (lambda idx: (idx / "index.faiss").write_bytes(b"garbage"), "index.faiss"),
    (lambda idx: (idx / "meta.json").write_text(json.dumps({"kind": "exact", "options": {"bogus": 1}})), "meta.json"),
])
def test_damaged_index_is_named_in_search_and_serve(damage: object, file: str, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    index = _fake_index(tmp_path / "idx")
    if file == "index.faiss" and not (index / "index.faiss").exists():
        pytest.skip("faiss not installed: no index.faiss is written")
    damage(index)  # type: ignore[operator]
    _no_model_loading(monkeypatch)
    query = tmp_path / "q.jpg"
    query.write_bytes(b"")
    _refused(["search", str(index), str(query), "--checkpoint", "m.pth"], caplog, str(index / file),
             "unreid index build")
    pytest.importorskip("uvicorn")
    _refused(["serve", str(index), "--checkpoint", "m.pth"], caplog, str(index / file), "unreid index build")


def test_serve_port_out_of_range_is_refused_before_loading(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvicorn")
    _no_model_loading(monkeypatch)
    monkeypatch.setattr("unreid.retrieval.index_store.load_index", lambda folder: pytest.fail("index loaded"))
    _refused(["serve", str(tmp_path), "--checkpoint", "m.pth", "--port", "70000"], caplog, "--port 70000",
             "1-65535")


def test_evaluate_grid_with_a_model_suffix_is_refused_before_loading(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unreid.engine.checkpoint.load_checkpoint", lambda *a, **k: pytest.fail("loaded"))
    _refused(["evaluate", str(tmp_path / "model.pth"), "--grid", str(tmp_path / "x.pth")], caplog, "x.pth", ".png")


def test_seed_out_of_numpys_range_is_refused_in_validation(synthetic_root: Path, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    _refused(tiny_args(tmp_path / "run", synthetic_root, train__seed=2**32), caplog, "train.seed")
    assert not (tmp_path / "run").exists()


def test_evaluate_reads_every_image_suffix_and_counts_the_queries(
    finished_run: Path, synthetic_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "eval"
    shutil.copytree(synthetic_root / "query", root / "query")
    shutil.copytree(synthetic_root / "bounding_box_test", root / "bounding_box_test")
    queries = sorted((root / "query").glob("*.jpg"))
    for i, path in enumerate(queries):  # JPEG bytes under mixed endings: decoders read the content
        path.rename(path.with_suffix([".jpg", ".png", ".JPG", ".jpeg"][i % 4]))
    lonely = root / "query" / "0999_c1s1_000001_00.png"  # an identity the gallery lacks: skipped
    lonely.write_bytes(queries[0].with_suffix(".jpg").read_bytes())
    from unreid.cli.evaluate_command import load_query_gallery

    assert len(load_query_gallery(root).query) == len(queries) + 1
    assert main(["evaluate", str(finished_run / "model.pth"), "--set", f"data.root={root}",
                 "--set", "train.device=cpu"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert metrics["queries_evaluated"] == len(queries) and metrics["queries_skipped"] == 1


def _rewritten_checkpoint(source: Path, target: Path, change: object) -> Path:
    state = torch.load(source, weights_only=True)
    change(state)  # type: ignore[operator]
    torch.save(state, target)
    return target


def test_checkpoint_with_nan_weights_or_a_string_height_is_refused(finished_run: Path, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    def nan(state: dict) -> None:
        for tensor in state["model"].values():
            if tensor.is_floating_point():
                tensor.fill_(float("nan"))

    bad = _rewritten_checkpoint(finished_run / "model.pth", tmp_path / "nan.pth", nan)
    _refused(["export", "onnx", "--checkpoint", str(bad), "--out", str(tmp_path / "m.onnx")], caplog, str(bad),
             "not finite")
    text = _rewritten_checkpoint(finished_run / "model.pth", tmp_path / "text.pth",
                                 lambda state: state["model_spec"].update(height="32"))
    _refused(["export", "onnx", "--checkpoint", str(text), "--out", str(tmp_path / "m.onnx")], caplog, str(text),
             "height='32' (expected int)")


def test_a_tiny_temperature_is_blamed_in_the_run(synthetic_root: Path, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    assert main(tiny_args(tmp_path / "run", synthetic_root, loss__temperature=1e-30, train__eval_every=0)) == 3
    [line] = error_lines(caplog)
    assert "loss.temperature=1e-30 is too small" in line and "train.lr" not in line
