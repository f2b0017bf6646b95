"""``eval.engine``: ``unreid evaluate`` extracts the query and the gallery with the engine it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unreid.cli.main import main


@pytest.mark.parametrize("engine, expected_passes", [("torch", []), ("onnxruntime", [4, 16])])
def test_eval_engine_picks_the_engine_of_each_pass(tiny_checkpoint: Path, eval_root: Path,
                                                   capsys: pytest.CaptureFixture[str], engine: str,
                                                   expected_passes: list[int], onnxruntime_passes: list[int]) -> None:
    assert main(["evaluate", str(tiny_checkpoint), "--set", f"data.root={eval_root}", "--set", "train.device=cpu",
                 "--set", "train.amp=none", "--set", f"eval.engine={engine}"]) == 0
    assert onnxruntime_passes == expected_passes  # 4 queries, then 16 gallery crops
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["queries_evaluated"] == 4
