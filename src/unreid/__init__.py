"""unreid: unsupervised person re-identification with multi-level feature contrastive learning.

The public names are imported on first use (module ``__getattr__``), so ``import unreid`` stays
light and torch-free parts (the ONNX runtime path) can be imported without PyTorch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY = {
    "FeatureExtractor": "unreid.retrieval.feature_extractor",
    "OnnxFeatureExtractor": "unreid.retrieval.onnx_extractor",
    "GalleryIndex": "unreid.retrieval.gallery_index",
    "load_index": "unreid.retrieval.index_store",
    "save_index": "unreid.retrieval.index_store",
    "cluster_features": "unreid.clustering.pseudo_labels",
    "ClusteringSettings": "unreid.clustering.pseudo_labels",
    "load_config": "unreid.config.loader",
    "run_training": "unreid.cli.train_run",
}
__all__ = [
    "ClusteringSettings", "FeatureExtractor", "GalleryIndex", "OnnxFeatureExtractor", "__version__", "cluster_features",
    "load_config", "load_index", "run_training", "save_index",
]

if TYPE_CHECKING:
    from unreid.cli.train_run import run_training
    from unreid.clustering.pseudo_labels import ClusteringSettings, cluster_features
    from unreid.config.loader import load_config
    from unreid.retrieval.feature_extractor import FeatureExtractor
    from unreid.retrieval.gallery_index import GalleryIndex
    from unreid.retrieval.index_store import load_index, save_index
    from unreid.retrieval.onnx_extractor import OnnxFeatureExtractor


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'unreid' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
