"""TensorFlow.js layers model parsing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from unreid.weights.tfjs_model import read_tfjs_weights


def test_read_tfjs_weights_concatenates_shards_and_slices_by_shape(tmp_path: Path) -> None:
    a, b, c = (np.arange(6, dtype="<f4").reshape(2, 3), np.array([7.5], dtype="<f4"),
               np.linspace(-1, 1, 8, dtype="<f4").reshape(2, 2, 2))
    blob = a.tobytes() + b.tobytes() + c.tobytes()  # 15 floats split mid-weight across two shards
    (tmp_path / "s1.bin").write_bytes(blob[:22])
    (tmp_path / "s2.bin").write_bytes(blob[22:])
    manifest = {"weightsManifest": [{"paths": ["s1.bin", "s2.bin"], "weights": [
        {"name": "a/kernel", "shape": [2, 3], "dtype": "float32"}, {"name": "b/bias", "shape": [1], "dtype": "float32"},
        {"name": "c/kernel", "shape": [2, 2, 2], "dtype": "float32"}]}]}
    (tmp_path / "model.json").write_text(json.dumps(manifest))
    weights = read_tfjs_weights(tmp_path)
    assert list(weights) == ["a/kernel", "b/bias", "c/kernel"]
    for got, want in zip(weights.values(), (a, b, c), strict=True):
        np.testing.assert_array_equal(got, want)
    (tmp_path / "s2.bin").write_bytes(blob[22:-4])
    with pytest.raises(ValueError, match="truncated"):
        read_tfjs_weights(tmp_path)
