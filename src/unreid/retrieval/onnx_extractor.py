"""Embeddings from an ONNX export with onnxruntime, numpy and Pillow only (no torch).

A deployment that runs ``unreid extract --onnx model.onnx`` or ``unreid serve --onnx``
needs neither PyTorch nor timm: this module imports neither.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from unreid.retrieval.image_input import ImageInput, load_pixels

logger = logging.getLogger(__name__)


class OnnxFeatureExtractor:
    """Same contract as :class:`~unreid.retrieval.feature_extractor.FeatureExtractor`, returning numpy.

    Args:
        path: an ``.onnx`` file written by ``unreid export onnx``.
        batch_size: images per ``session.run``.
        threads: intra-op threads for onnxruntime (``0`` = its default).
    """

    def __init__(self, path: str | Path, *, batch_size: int = 64, threads: int = 0) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no ONNX model here; write one with `unreid export onnx --checkpoint model.pth`")
        options = ort.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:
            raise ValueError(f"{path}: not a loadable ONNX model ({str(error)[:200]}); export it again") from error
        meta = self.session.get_modelmeta().custom_metadata_map
        if "unreid_height" not in meta:
            raise ValueError(f"{path}: ONNX file without unreid metadata; export it with `unreid export onnx`")
        self.height, self.width = int(meta["unreid_height"]), int(meta["unreid_width"])
        self.fingerprint: str | None = meta.get("unreid_fingerprint")
        self.batch_size = batch_size
        self.input_name = self.session.get_inputs()[0].name
        self.embedding_dim = int(self.session.get_outputs()[0].shape[1])
        logger.info("loaded %s (%dx%d, fingerprint %s)", path, self.height, self.width, self.fingerprint)

    def __call__(self, images: Sequence[ImageInput]) -> np.ndarray:
        """Embeddings ``float32 [N, D]`` (unit length) of ``images``."""
        chunks = [np.empty((0, self.embedding_dim), dtype=np.float32)]
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size]
            pixels = np.stack([load_pixels(i, height=self.height, width=self.width) for i in batch])  # [b, 3, H, W]
            out = self.session.run(None, {self.input_name: pixels.astype(np.float32)})[0]  # [b, D]
            chunks.append(out.astype(np.float32, copy=False))
        return np.concatenate(chunks)  # [N, D]
