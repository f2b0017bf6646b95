"""Public feature extractor: image files or arrays in, L2-normalised embeddings out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from unreid.data.image_bank import decode_images
from unreid.engine.checkpoint import load_checkpoint
from unreid.engine.extract import extract_features
from unreid.models.embedding_model import EmbeddingModel, build_embedding_model


class FeatureExtractor:
    """Embeddings of person crops from a trained unreid checkpoint.

    Example:
        >>> from unreid.retrieval.feature_extractor import FeatureExtractor
        >>> extractor = FeatureExtractor.from_checkpoint("runs/market1501/model.pth")  # doctest: +SKIP
        >>> feats = extractor(["a.jpg", "b.jpg"])  # doctest: +SKIP
        >>> feats.shape, float(feats[0] @ feats[1])  # doctest: +SKIP
        (torch.Size([2, 2048]), 0.83)

    Args:
        model: an :class:`EmbeddingModel` (put on the wanted device first).
        height, width: input size the model was trained at.
        batch_size: images per forward pass.
    """

    def __init__(self, model: EmbeddingModel, *, height: int, width: int, batch_size: int = 128) -> None:
        self.model = model.eval()
        self.height, self.width, self.batch_size = height, width, batch_size

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, device: str | torch.device = "cpu", batch_size: int = 128) -> FeatureExtractor:
        state = load_checkpoint(Path(path))
        spec = dict(state.get("model_spec") or {})
        if "backbone" not in spec:
            raise ValueError(f"{path}: checkpoint has no model_spec; it was not written by unreid train")
        height, width = int(spec.pop("height")), int(spec.pop("width"))
        model = build_embedding_model(**spec)
        model.load_state_dict(state["model"])
        return cls(model.to(device), height=height, width=width, batch_size=batch_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def __call__(self, images: Sequence[str | Path | Image.Image | np.ndarray]) -> Tensor:
        """Embeddings ``[N, D]`` of image paths, PIL images or ``uint8 HxWx3`` arrays."""
        pixels = self._pixels(images)  # [N, 3, H, W] uint8
        return extract_features(self.model, pixels, batch_size=self.batch_size, progress=False)

    def _pixels(self, images: Sequence[str | Path | Image.Image | np.ndarray]) -> Tensor:
        if all(isinstance(i, (str, Path)) for i in images):
            return decode_images([Path(i) for i in images], height=self.height, width=self.width, progress=False)
        out = []
        for item in images:
            image = Image.open(item) if isinstance(item, (str, Path)) else item
            if isinstance(image, np.ndarray):
                if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                    raise ValueError(f"arrays must be uint8 HxWx3 RGB, got {image.dtype} {image.shape}")
                image = Image.fromarray(image)
            rgb = image.convert("RGB").resize((self.width, self.height), Image.BILINEAR)
            out.append(torch.from_numpy(np.ascontiguousarray(np.asarray(rgb).transpose(2, 0, 1))))
        return torch.stack(out)
