"""Public feature extractor: image files, bytes, PIL images or arrays in, L2-normalised embeddings out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from unreid.engine.checkpoint import load_checkpoint
from unreid.engine.extract import onnxruntime_or_none, torch_features
from unreid.engine.inference_engine import InferenceEngine, parse_engine, resolve_engine
from unreid.models.embedding_model import EmbeddingModel
from unreid.models.model_spec import ModelSpec
from unreid.retrieval.image_input import ImageInput, load_pixels
from unreid.retrieval.model_fingerprint import model_fingerprint
from unreid.weights.ready_models import resolve_model_file

logger = logging.getLogger(__name__)


class FeatureExtractor:
    """Embeddings of person crops from a trained unreid model.

    Inputs may be paths, encoded bytes, PIL images or arrays of any size and mode
    (RGB, RGBA, grayscale, palette PNG); they are resized to the model's input size.
    Images are read and embedded ``batch_size`` at a time, so folders of any length fit.

    Example:
        >>> import tempfile, numpy as np, torch
        >>> from unreid import FeatureExtractor
        >>> from unreid.models.embedding_model import build_embedding_model
        >>> path = tempfile.mkdtemp() + "/model.pth"  # `unreid train` writes runs/<name>/model.pth
        >>> model = build_embedding_model(backbone="resnet18")
        >>> torch.save({"model": model.state_dict(),
        ...             "model_spec": {"backbone": "resnet18", "height": 64, "width": 32}}, path)
        >>> extractor = FeatureExtractor.from_checkpoint(path, device="cpu")
        >>> crops = [np.zeros((120, 50, 3), np.uint8), np.full((90, 40), 200, np.uint8)]  # RGB, grayscale
        >>> feats = extractor(crops)
        >>> feats.shape
        torch.Size([2, 512])
        >>> [round(float(n), 4) for n in feats.norm(dim=1)]
        [1.0, 1.0]

    Args:
        model: an :class:`EmbeddingModel` (put on the wanted device first).
        height: input height the model was trained at.
        width: input width the model was trained at.
        batch_size: images per forward pass.
        engine: ``auto`` (onnxruntime on the CPU when installed, else torch), ``torch`` or ``onnxruntime``.
        threads: onnxruntime's intra-op threads (``0``: torch's current number).
    """

    def __init__(self, model: EmbeddingModel, *, height: int, width: int, batch_size: int = 64,
                 engine: InferenceEngine | str = InferenceEngine.AUTO, threads: int = 0) -> None:
        self.model = model.eval()
        self.height, self.width, self.batch_size = height, width, batch_size
        self.engine, self.threads = parse_engine(engine), threads
        self.fingerprint = model_fingerprint(model.state_dict(), height=height, width=width)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, *, device: str | torch.device = "cpu", batch_size: int = 64,
        engine: InferenceEngine | str = InferenceEngine.AUTO, threads: int = 0,
    ) -> FeatureExtractor:
        """Rebuild the model of a checkpoint written by ``unreid train`` (``model.pth``), or of a ready model's name
        (``"market1501"``: see :mod:`unreid.weights.ready_models`)."""
        path = resolve_model_file(path)
        state = load_checkpoint(path)
        spec = ModelSpec.from_dict(state.get("model_spec"), source=Path(path))
        model = spec.build()
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as error:
            raise ValueError(f"{path}: weights do not fit its model_spec {spec} ({str(error)[:200]})") from error
        extractor = cls(model.to(device), height=spec.height, width=spec.width, batch_size=batch_size, engine=engine,
                        threads=threads)
        logger.info("loaded %s (%s, %dx%d, fingerprint %s)", path, spec.backbone, spec.height, spec.width,
                    extractor.fingerprint)
        return extractor

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def embedding_dim(self) -> int:
        return int(self.model.embedding_dim)

    def __call__(self, images: Sequence[ImageInput]) -> Tensor:
        """Embeddings ``[N, D]`` (float32, unit length, on the model's device) of ``images``."""
        if len(images) == 0:
            return torch.empty((0, self.embedding_dim), device=self.device)
        chunks = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size]
            pixels = torch.from_numpy(np.stack([load_pixels(i, height=self.height, width=self.width) for i in batch]))
            chunks.append(self._embed(pixels))  # [b, D]
        return torch.cat(chunks)  # [N, D]

    def _embed(self, pixels: Tensor) -> Tensor:
        """Embeddings ``[b, D]`` of ``uint8 [b, 3, H, W]`` images with onnxruntime (on ``threads``) or torch."""
        if resolve_engine(self.engine, device=self.device) is InferenceEngine.ONNXRUNTIME:
            features = onnxruntime_or_none(self.model, pixels, batch_size=self.batch_size, threads=self.threads,
                                           progress=False)  # [b, D]
            if features is not None:
                return features
        return torch_features(self.model, pixels, batch_size=self.batch_size, progress=False)  # [b, D]
