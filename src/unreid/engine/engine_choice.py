"""``auto``'s choice on the CPU: onnxruntime where it measures clearly faster than torch, once per network.

onnxruntime runs MobileNetV2 at 128x64 about five times faster than torch on one core, but
ResNet-18 at 64x32 (the demo's network) no faster, and every pass on new weights pays for an
export (one to three seconds). So ``auto`` times both engines once on one batch of the pass's
own images, for each network and input size, and keeps onnxruntime only when it is at least
:data:`MARGIN` times faster; the choice is logged once and reused. The margin leaves a wide
dead zone, so the same machine makes the same choice run after run; ``eval.engine`` forces
one engine (bit-identical reruns across machines).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

from unreid.engine.inference_engine import InferenceEngine

logger = logging.getLogger(__name__)

MARGIN = 1.5
"""How many times faster onnxruntime must run a batch to be chosen (it pays an export per new weights)."""

_choices: dict[tuple[object, ...], InferenceEngine] = {}


def clear_engine_choices() -> None:
    """Forget the measured choices (the next ``auto`` pass measures again)."""
    _choices.clear()


def _network_key(model: nn.Module, pixels: Tensor, channels_last: bool) -> tuple[object, ...]:
    shapes = tuple(tuple(p.shape) for p in model.parameters())
    return (type(model).__qualname__, shapes, tuple(pixels.shape[1:]), torch.get_num_threads(), channels_last)


def _best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def measured_engine(model: nn.Module, pixels: Tensor, *, batch_size: int, channels_last: bool) -> InferenceEngine:
    """The faster engine for ``model`` on images like ``pixels [N, 3, H, W]`` (a CPU model in full precision).

    Measured once per network, input size and thread count (best of two runs of one batch each,
    after a warm-up); a model that cannot be exported gets torch.
    """
    key = _network_key(model, pixels, channels_last)
    if key in _choices:
        return _choices[key]
    from unreid.engine.extract import onnxruntime_or_none, torch_features

    sample = pixels[: max(1, min(batch_size, 64))]  # [b, 3, H, W]
    if onnxruntime_or_none(model, sample, batch_size=batch_size, progress=False) is None:  # exports; warm-up
        _choices[key] = InferenceEngine.TORCH
        return InferenceEngine.TORCH
    onnx_s = _best_of(2, lambda: onnxruntime_or_none(model, sample, batch_size=batch_size, progress=False))
    torch_features(model, sample, batch_size=batch_size, channels_last=channels_last, progress=False)  # warm-up
    torch_s = _best_of(2, lambda: torch_features(model, sample, batch_size=batch_size, channels_last=channels_last,
                                                 progress=False))
    choice = InferenceEngine.ONNXRUNTIME if torch_s >= MARGIN * onnx_s else InferenceEngine.TORCH
    _choices[key] = choice
    logger.info("inference engine auto: %s for %s at %dx%d (onnxruntime %.0f images/s, torch %.0f; onnxruntime "
                "needs %.1fx)", choice.value, type(model).__name__, pixels.shape[2], pixels.shape[3],
                sample.shape[0] / max(onnx_s, 1e-9), sample.shape[0] / max(torch_s, 1e-9), MARGIN)
    return choice
