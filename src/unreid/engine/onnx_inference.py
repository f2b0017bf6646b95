"""Embeddings with onnxruntime from a torch model's weights of the moment, exported in memory.

The model is exported in eval mode (its training mode restored afterwards) to an ONNX graph
in a ``BytesIO``, with the pixels' own dtype as input (uint8 crops go in as they are stored)
and a dynamic batch axis, and run by one sequential ``InferenceSession`` with a fixed
number of intra-op threads. The session is cached for the model and the exact weights it
was built from (each parameter's and buffer's storage and in-place version counter, which
every optimiser step, EMA update and ``load_state_dict`` advances), so the query and the
gallery pass of one evaluation, or the batches of a ``FeatureExtractor``, share one export,
and a changed weight always means a new one. Each live model keeps its own latest session
(a student and its mean teacher, or two models compared in turn, do not export each other's
away); a session goes with its model. Weights changed through ``tensor.data`` bypass
the version counter: call :func:`clear_session_cache` after doing that.
"""

from __future__ import annotations

import io
import itertools
import logging
import threading
import time
import warnings
import weakref
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

INPUT_NAME = "pixels"
OUTPUT_NAME = "embeddings"


class ExportFailed(RuntimeError):
    """The model could not be exported to ONNX or loaded by onnxruntime."""


@dataclass
class _CachedSession:
    key: tuple[Any, ...]
    session: Any  # onnxruntime.InferenceSession


_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[nn.Module, _CachedSession] = weakref.WeakKeyDictionary()  # each model's latest
_failed: weakref.WeakSet[nn.Module] = weakref.WeakSet()  # models whose export failed once


def clear_session_cache() -> None:
    """Forget the cached sessions (the next pass of every model exports again)."""
    with _lock:
        _cache.clear()


def export_failed_before(model: nn.Module) -> bool:
    """Whether exporting ``model`` failed before (it is not tried again)."""
    return model in _failed


def weights_state(model: nn.Module) -> tuple[Any, ...]:
    """A key that changes whenever a weight of ``model`` does: each parameter's and buffer's storage, in-place
    version counter, dtype and shape (changes through ``tensor.data`` are not seen)."""
    tensors = itertools.chain(model.parameters(), model.buffers())
    return tuple((t.data_ptr(), t._version, t.dtype, tuple(t.shape)) for t in tensors)


def _weights_key(model: nn.Module, *, pixels: Tensor, threads: int) -> tuple[Any, ...]:
    return (tuple(pixels.shape[1:]), pixels.dtype, threads, weights_state(model))


def build_session(model: nn.Module, *, example: Tensor, threads: int, opset: int = 17) -> Any:
    """An onnxruntime session of ``model`` (pixels in the dtype and size of ``example`` ``[B, 3, H, W]``,
    ImageNet normalisation inside the graph); raises :class:`ExportFailed`."""
    import onnxruntime as ort

    from unreid.retrieval.onnx_export import PixelsToEmbeddings

    was_training = model.training
    buffer = io.BytesIO()
    start = time.perf_counter()
    try:
        model.eval()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
            torch.onnx.export(
                PixelsToEmbeddings(model), (example[:2].cpu(),), buffer,  # type: ignore[arg-type]  # file-like is fine
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=opset, dynamo=False,
            )
        exported = time.perf_counter()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # errors only
        session = ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # the exporter and onnxruntime raise many types
        raise ExportFailed(f"{type(model).__name__} could not run in onnxruntime "
                           f"({type(error).__name__}: {str(error)[:200]})") from error
    finally:
        model.train(was_training)
    logger.debug("exported %s to ONNX in memory in %.2f s (%.1f MB), onnxruntime session in %.2f s, %d thread(s)",
                 type(model).__name__, exported - start, buffer.tell() / 1e6, time.perf_counter() - exported, threads)
    return session


def cached_session(model: nn.Module, *, pixels: Tensor, threads: int) -> Any:
    """The session of ``model``'s current weights for inputs like ``pixels``, exported when they changed.

    Raises :class:`ExportFailed` (and remembers it: the model is not tried again).
    """
    key = _weights_key(model, pixels=pixels, threads=threads)
    with _lock:
        cached = _cache.get(model)
        if cached is not None and cached.key == key:
            return cached.session
        _cache.pop(model, None)  # the stale session goes before the new one is built
        try:
            session = build_session(model, example=pixels, threads=threads)
        except ExportFailed:
            _failed.add(model)
            raise
        _cache[model] = _CachedSession(key=key, session=session)
        return session


def onnxruntime_features(model: nn.Module, pixels: Tensor, *, batch_size: int, threads: int = 0,
                         progress: bool = False, desc: str = "extract") -> Tensor:
    """L2-normalised embeddings ``float32 [N, D]`` (on the CPU) of ``pixels [N, 3, H, W]`` (a CPU model).

    ``threads``: onnxruntime intra-op threads, ``0`` = torch's current number. Raises
    :class:`ExportFailed` when the model cannot be exported.
    """
    threads = threads if threads > 0 else torch.get_num_threads()
    session = cached_session(model, pixels=pixels, threads=threads)
    chunks = []
    for start in tqdm(range(0, pixels.shape[0], batch_size), desc=desc, disable=not progress, leave=False):
        batch = pixels[start : start + batch_size].cpu().contiguous().numpy()  # [b, 3, H, W]
        out = session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]  # [b, D]
        chunks.append(F.normalize(torch.from_numpy(out).float(), dim=1))  # [b, D]
    return torch.cat(chunks)  # [N, D]
