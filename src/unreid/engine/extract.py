"""Feature extraction: embeddings of every image of an :class:`~unreid.data.image_bank.ImageBank`."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from unreid.data.batch_augment import normalize


def autocast_context(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager[None]:
    """``torch.autocast`` for ``dtype`` on ``device``, or a no-op when ``dtype`` is ``None``."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def extract_features(
    model: nn.Module, pixels: Tensor, *, batch_size: int = 256, amp_dtype: torch.dtype | None = None,
    channels_last: bool = False, progress: bool = True, desc: str = "extract",
) -> Tensor:
    """L2-normalised embeddings ``[N, D]`` (float32, on the model's device) of ``uint8 [N, 3, H, W]`` images."""
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
