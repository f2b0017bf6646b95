"""Feature extraction: embeddings of every image of an :class:`~unreid.data.image_bank.ImageBank`.

Every inference pass (each epoch's training-set extraction, the evaluation, ``unreid extract``,
``search`` and ``serve``) runs the model with torch (:func:`torch_features`, the reference path)
or with onnxruntime on its weights of the moment (:func:`onnxruntime_or_none`), as
:class:`~unreid.engine.inference_engine.InferenceEngine` chooses: through :func:`extract_features`,
or :class:`~unreid.retrieval.feature_extractor.FeatureExtractor`, which also sets onnxruntime's threads.
"""

from __future__ import annotations

import contextlib
import logging

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from unreid.data.batch_augment import normalize
from unreid.engine.inference_engine import InferenceEngine, parse_engine, resolve_engine

logger = logging.getLogger(__name__)


def autocast_context(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager[None]:
    """``torch.autocast`` for ``dtype`` on ``device``, or a no-op when ``dtype`` is ``None``."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def extract_features(
    model: nn.Module, pixels: Tensor, *, batch_size: int = 256, amp_dtype: torch.dtype | None = None,
    channels_last: bool = False, progress: bool = True, desc: str = "extract",
    engine: InferenceEngine | str = InferenceEngine.AUTO,
) -> Tensor:
    """L2-normalised embeddings ``[N, D]`` (float32, on the model's device) of ``uint8 [N, 3, H, W]`` images.

    Args:
        engine: ``auto`` runs onnxruntime (with torch's number of threads) for a full-precision CPU
            model when it is installed and measures clearly faster for this network
            (:mod:`unreid.engine.engine_choice`), else torch; a model that cannot be exported falls back to
            torch with one warning.
    """
    device = next(model.parameters()).device
    chosen = resolve_engine(engine, device=device, amp_dtype=amp_dtype)
    if chosen is InferenceEngine.ONNXRUNTIME and parse_engine(engine) is InferenceEngine.AUTO and pixels.shape[0]:
        from unreid.engine.engine_choice import measured_engine

        chosen = measured_engine(model, pixels, batch_size=batch_size, channels_last=channels_last)
    if chosen is InferenceEngine.ONNXRUNTIME:
        features = onnxruntime_or_none(model, pixels, batch_size=batch_size, progress=progress, desc=desc)  # [N, D]
        if features is not None:
            return features
    return torch_features(model, pixels, batch_size=batch_size, amp_dtype=amp_dtype, channels_last=channels_last,
                          progress=progress, desc=desc)  # [N, D]


def onnxruntime_or_none(model: nn.Module, pixels: Tensor, *, batch_size: int, threads: int = 0, progress: bool = True,
                        desc: str = "extract") -> Tensor | None:
    """onnxruntime's embeddings ``[N, D]`` of ``pixels`` with ``threads`` intra-op threads (``0``: torch's
    current number), or ``None`` when there are no images or ``model`` cannot be exported (warned once)."""
    if pixels.shape[0] == 0:
        return None
    from unreid.engine.onnx_inference import ExportFailed, export_failed_before, onnxruntime_features

    if export_failed_before(model):
        return None
    try:
        return onnxruntime_features(model, pixels, batch_size=batch_size, threads=threads, progress=progress,
                                    desc=desc)  # [N, D]
    except ExportFailed as error:
        logger.warning("%s; extracting with torch instead", error)
        return None


@torch.no_grad()
def torch_features(
    model: nn.Module, pixels: Tensor, *, batch_size: int = 256, amp_dtype: torch.dtype | None = None,
    channels_last: bool = False, progress: bool = True, desc: str = "extract",
) -> Tensor:
    """The reference path of :func:`extract_features`: the torch model in eval mode, batch by batch."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    for start in tqdm(range(0, pixels.shape[0], batch_size), desc=desc, disable=not progress, leave=False):
        batch = normalize(pixels[start : start + batch_size].to(device, non_blocking=True))  # [b, 3, H, W]
        if channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        with autocast_context(device, amp_dtype):
            emb = model(batch)  # [b, D]
        chunks.append(F.normalize(emb.float(), dim=1))
    model.train(was_training)
    return torch.cat(chunks)  # [N, D]
