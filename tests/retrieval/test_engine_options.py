"""``--engine`` and ``--threads`` of the commands that embed images, and ``FeatureExtractor(engine=...)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_world import crop

from unreid import FeatureExtractor
from unreid.cli.main import main
from unreid.retrieval.feature_file import load_features

pytest.importorskip("onnxruntime")


def test_feature_extractor_engines_agree(tiny_checkpoint: Path) -> None:
    crops = [crop(person, 0, shot) for person in range(3) for shot in range(2)]
    reference = FeatureExtractor.from_checkpoint(tiny_checkpoint, batch_size=4, engine="torch")(crops)  # [6, D]
    fast = FeatureExtractor.from_checkpoint(tiny_checkpoint, batch_size=4, engine="onnxruntime")(crops)  # [6, D]
    assert (fast - reference).abs().max() < 1e-4


def test_extract_engines_and_threads(tiny_checkpoint: Path, eval_root: Path, tmp_path: Path) -> None:
    before = torch.get_num_threads()
    outs = {}
    try:
        for engine in ("torch", "onnxruntime"):
            outs[engine] = tmp_path / f"{engine}.npy"
            assert main(["extract", str(eval_root / "query"), "--checkpoint", str(tiny_checkpoint), "--engine", engine,
                         "--threads", "1", "--out", str(outs[engine])]) == 0
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    torch_feats, fast_feats = (load_features(outs[e]).features for e in ("torch", "onnxruntime"))
    assert torch_feats.shape == fast_feats.shape == (4, 512)
    assert np.abs(torch_feats - fast_feats).max() < 1e-4


def test_bad_engine_options_are_refused(tiny_checkpoint: Path, eval_root: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    query = str(eval_root / "query")
    with pytest.raises(SystemExit):
        main(["extract", query, "--checkpoint", str(tiny_checkpoint), "--engine", "tensorrt",
              "--out", str(tmp_path / "a.npy")])
    assert "invalid choice: 'tensorrt'" in capsys.readouterr().err
    assert main(["extract", query, "--checkpoint", str(tiny_checkpoint), "--threads", "-1",
                 "--out", str(tmp_path / "b.npy")]) != 0
    assert "--threads -1 must be >= 0" in caplog.text
    assert main(["extract", query, "--onnx", str(tmp_path / "m.onnx"), "--engine", "torch",
                 "--out", str(tmp_path / "c.npy")]) != 0
    assert "--engine torch runs a --checkpoint" in caplog.text
    assert not any((tmp_path / name).exists() for name in ("a.npy", "b.npy", "c.npy"))
