"""Export an embedding model to ONNX: ``float32 [B, 3, H, W]`` pixels 0..255 in, unit embeddings out.

The ImageNet normalisation is part of the graph, so a runtime only resizes the crop and
casts it to float. The batch axis is dynamic. Input size and the model fingerprint are
stored in the file's metadata, where :class:`~unreid.retrieval.onnx_extractor.OnnxFeatureExtractor`
reads them back.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from unreid.data.batch_augment import normalize
from unreid.retrieval.feature_extractor import FeatureExtractor

logger = logging.getLogger(__name__)

INPUT_NAME = "pixels"
OUTPUT_NAME = "embeddings"


class PixelsToEmbeddings(nn.Module):
    """Wraps an embedding model: raw ``0..255`` float pixels in, L2-normalised embeddings out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: Tensor) -> Tensor:
        return self.model(normalize(pixels))  # [B, 3, H, W] -> [B, D]


def export_onnx(extractor: FeatureExtractor, *, path: Path, opset: int = 17) -> Path:
    """Write ``extractor``'s model to ``path`` as ONNX with a dynamic batch axis.

    Args:
        extractor: the model to export, with its input size and fingerprint.
        path: output ``.onnx`` file; parent folders are created.
        opset: ONNX opset version.

    Returns:
        ``path``.
    """
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = PixelsToEmbeddings(extractor.model).eval().cpu()
    example = torch.full((2, 3, extractor.height, extractor.width), 128.0)  # [2, 3, H, W]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        torch.onnx.export(
            wrapper, (example,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}, opset_version=opset, dynamo=False,
        )
    extractor.model.to(extractor.device)
    graph = onnx.load(str(path))
    for key, value in (("unreid_height", extractor.height), ("unreid_width", extractor.width),
                       ("unreid_fingerprint", extractor.fingerprint), ("unreid_input", "RGB float32 0..255 NCHW")):
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(graph)
    onnx.save(graph, str(path))
    logger.info("exported %s (%dx%d, fingerprint %s)", path, extractor.height, extractor.width, extractor.fingerprint)
    return path
