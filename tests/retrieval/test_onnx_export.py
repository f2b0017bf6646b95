from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_world import HEIGHT, WIDTH, crop

from unreid.cli.main import main
from unreid.retrieval.feature_extractor import FeatureExtractor

pytest.importorskip("onnxruntime", reason="onnxruntime not installed (pip install onnxruntime)")
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def exported(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``unreid export onnx`` (which compares onnxruntime with PyTorch itself) and what it printed."""
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", "onnx", "--checkpoint", str(tiny_checkpoint), "--out", str(path)]) == 0
    return path, out.getvalue()


def test_export_command_checks_itself(exported: tuple[Path, str]) -> None:
    printed = exported[1]
    assert "onnxruntime vs PyTorch max abs difference" in printed
    assert float(printed.rsplit("difference ", 1)[1].strip()) < 1e-4


@pytest.mark.parametrize("batch", [1, 5])
def test_onnxruntime_matches_pytorch(exported: tuple[Path, str], tiny_checkpoint: Path, batch: int) -> None:
    from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

    torch_model = FeatureExtractor.from_checkpoint(tiny_checkpoint)
    onnx_model = OnnxFeatureExtractor(exported[0], batch_size=batch, threads=1)  # dynamic batch: 1 or 5 rows per run
    images = [crop(p, p % 2, 0) for p in range(1, 6)] + [crop(9, 0, 0).convert("L")]
    ours = onnx_model(images)  # [6, 512]
    reference = torch_model(images).numpy()  # [6, 512]
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert float(np.abs(ours - reference).max()) < 1e-4
    assert (onnx_model.height, onnx_model.width) == (HEIGHT, WIDTH)
    assert onnx_model.fingerprint == torch_model.fingerprint


def test_onnx_path_runs_without_torch(exported: tuple[Path, str], tmp_path: Path) -> None:
    crop(1, 0, 0).save(tmp_path / "0001_c1s1_000000_00.jpg")
    script = (
        "import sys; sys.modules['torch'] = None; sys.modules['timm'] = None\n"  # any import of them fails
        "from unreid.cli.main import main\n"
        f"sys.exit(main(['extract', {str(tmp_path)!r}, '--onnx', {str(exported[0])!r}, "
        f"'--out', {str(tmp_path / 'f.npy')!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"},
                          capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "extracted 1 x 512 features" in done.stdout
    assert np.load(tmp_path / "f.npy").shape == (1, 512)


def test_bad_onnx_file(tmp_path: Path) -> None:
    from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor

    (tmp_path / "bad.onnx").write_bytes(b"nope")
    with pytest.raises(ValueError, match="bad.onnx: not a loadable ONNX model"):
        OnnxFeatureExtractor(tmp_path / "bad.onnx")


def test_onnx_searches_an_index_built_with_pytorch(exported: tuple[Path, str], tiny_checkpoint: Path,
                                                  eval_root: Path, tmp_path: Path) -> None:
    """Same weights, same fingerprint: the ONNX export may search what the checkpoint indexed."""
    assert main(["index", "build", str(eval_root), "--subset", "gallery", "--checkpoint", str(tiny_checkpoint),
                 "--out", str(tmp_path / "index"), "--kind", "torch"]) == 0
    query = eval_root / "bounding_box_test" / "0002_c2s1_000101_00.jpg"
    assert main(["search", str(tmp_path / "index"), str(query), "--onnx", str(exported[0]), "--top-k", "3",
                 "--json", str(tmp_path / "hits.json")]) == 0
    best = json.loads((tmp_path / "hits.json").read_text())[0]["results"][0]
    assert Path(best["path"]).name == query.name and abs(best["score"] - 1.0) < 1e-4
