"""unreid: unsupervised person re-identification with multi-level feature contrastive learning.

``FeatureExtractor`` and ``GalleryIndex`` are imported on first use, so that torch-free
parts (the ONNX runtime path) can be imported without PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["FeatureExtractor", "GalleryIndex", "__version__"]

if TYPE_CHECKING:
    from unreid.retrieval.feature_extractor import FeatureExtractor
    from unreid.retrieval.gallery_index import GalleryIndex


def __getattr__(name: str) -> Any:
    if name == "FeatureExtractor":
        from unreid.retrieval.feature_extractor import FeatureExtractor

        return FeatureExtractor
    if name == "GalleryIndex":
        from unreid.retrieval.gallery_index import GalleryIndex

        return GalleryIndex
    raise AttributeError(f"module 'unreid' has no attribute {name!r}")
