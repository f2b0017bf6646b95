"""A short hash that names the exact weights and input size of a model.

Gallery features are only comparable with query features of the same model. The
fingerprint travels with every feature file, index and ONNX export, so a search with
another model is refused instead of silently returning nonsense rankings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
from torch import Tensor

FINGERPRINT_CHARS = 16
"""Hex characters kept of the SHA-256 digest."""


def model_fingerprint(state_dict: Mapping[str, Tensor], *, height: int, width: int) -> str:
    """SHA-256 (first :data:`FINGERPRINT_CHARS` hex characters) of the weights and input size.

    The hash covers every tensor's name, dtype, shape and float32 bytes (in key order),
    so the same weights on another device or saved again give the same fingerprint.
    """
    digest = hashlib.sha256(f"input {height}x{width}\n".encode())
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu()
        digest.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}\n".encode())
        values = tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
        digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()[:FINGERPRINT_CHARS]


def check_fingerprint(*, expected: str | None, actual: str | None, what: str) -> None:
    """Raise ``ValueError`` when two known fingerprints differ.

    Args:
        expected: fingerprint stored with the gallery (index or feature file).
        actual: fingerprint of the model about to be used.
        what: the gallery's name, for the message.
    """
    if expected and actual and expected != actual:
        raise ValueError(
            f"{what} was built with model {expected}, but this model is {actual}; "
            "search with the checkpoint (or its ONNX export) that built it, or rebuild it with "
            "`unreid index build` using this model"
        )
