from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from unreid.engine.checkpoint import save_atomic
from unreid.models.embedding_model import build_embedding_model
from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex


def test_search_matches_brute_force() -> None:
    gallery = F.normalize(torch.randn(50, 8), dim=1)
    queries = F.normalize(torch.randn(7, 8), dim=1)
    index = GalleryIndex(gallery, ids=[f"g{i}" for i in range(50)])
    res = index.search(queries, top_k=5, block=3)
    expected = (queries @ gallery.t()).topk(5, dim=1)
    assert torch.equal(res.indices, expected.indices)
    assert torch.allclose(res.scores, expected.values)
    assert index.labels_of(res.indices[:1])[0][0] == f"g{int(expected.indices[0, 0])}"
    with pytest.raises(ValueError, match="ids"):
        GalleryIndex(gallery, ids=["a"])


def test_faiss_path_if_installed() -> None:
    pytest.importorskip("faiss", reason="faiss not installed (optional: pip install faiss-cpu)")
    gallery = F.normalize(torch.randn(30, 8), dim=1)
    queries = F.normalize(torch.randn(4, 8), dim=1)
    a = GalleryIndex(gallery, use_faiss=True).search(queries, top_k=3)
    b = GalleryIndex(gallery).search(queries, top_k=3)
    assert torch.equal(a.indices, b.indices)


def test_feature_extractor_from_checkpoint(tmp_path: Path) -> None:
    model = build_embedding_model(backbone="resnet10t")
    spec = {"backbone": "resnet10t", "last_stride_one": True, "stride_in_1x1": False, "embedding_dim": 0,
            "gem_p": 3.0, "height": 32, "width": 16}
    save_atomic({"model": model.state_dict(), "model_spec": spec}, tmp_path / "model.pth")
    extractor = FeatureExtractor.from_checkpoint(tmp_path / "model.pth")
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.jpg"
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (40, 20, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    from_paths = extractor(paths)
    from_arrays = extractor([np.asarray(Image.open(p).convert("RGB")) for p in paths])
    assert from_paths.shape == (3, model.embedding_dim)
    assert torch.allclose(from_paths, from_arrays, atol=1e-4)
    assert torch.allclose(from_paths.norm(dim=1), torch.ones(3), atol=1e-5)
