"""Which engine runs an inference pass: torch, or onnxruntime on the model's weights of the moment.

On the CPU, onnxruntime runs the same network several times faster than torch (MobileNetV2
at 128x64, one thread: 768 images/s against torch's 134 eager and 230 channels-last), so
``auto`` picks it whenever the model is on the CPU in full precision and onnxruntime and onnx
are installed; torch stays the simple reference path, and the only one on a GPU.
"""

from __future__ import annotations

import importlib.util
import logging
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported without torch: the CLI lists the engines of the torch-free ONNX path
    import torch

logger = logging.getLogger(__name__)


class InferenceEngine(str, Enum):
    """``auto``: onnxruntime for a full-precision CPU model when installed, else torch."""

    AUTO = "auto"
    TORCH = "torch"
    ONNXRUNTIME = "onnxruntime"


def onnxruntime_available() -> bool:
    """Whether ``onnxruntime`` and ``onnx`` (the exporter's dependency) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def parse_engine(engine: InferenceEngine | str) -> InferenceEngine:
    """``engine`` as an :class:`InferenceEngine`; ``ValueError`` listing the valid names otherwise."""
    try:
        return InferenceEngine(engine)
    except ValueError as error:
        valid = ", ".join(e.value for e in InferenceEngine)
        raise ValueError(f"inference engine {engine!r}; valid values: {valid}") from error


def resolve_engine(engine: InferenceEngine | str, *, device: torch.device,
                   amp_dtype: torch.dtype | None = None) -> InferenceEngine:
    """The concrete engine (``TORCH`` or ``ONNXRUNTIME``) for a model on ``device``.

    ``auto`` keeps torch on a GPU and when autocast is asked for (onnxruntime runs the
    exported graph in float32). A forced ``onnxruntime`` needs a CPU model and the packages.
    """
    engine = parse_engine(engine)
    if engine is InferenceEngine.AUTO:
        usable = device.type == "cpu" and amp_dtype is None and onnxruntime_available()
        return InferenceEngine.ONNXRUNTIME if usable else InferenceEngine.TORCH
    if engine is InferenceEngine.ONNXRUNTIME:
        if device.type != "cpu":
            raise ValueError(f"the onnxruntime engine runs CPU models; this model is on {device}: "
                             "use engine auto or torch")
        if not onnxruntime_available():
            raise ValueError("the onnxruntime engine needs onnxruntime and onnx (pip install onnxruntime onnx); "
                             "or use engine torch")
    return engine
