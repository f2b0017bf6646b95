from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unreid.data.records import Record
from unreid.retrieval import gallery_index as gallery_index_module
from unreid.retrieval.gallery_index import AUTO_EXACT_MAX_FLOATS, GalleryIndex, IndexKind, IndexOptions, resolve_kind
from unreid.retrieval.index_store import load_index, save_index
from unreid.retrieval.search_results import search_index


def _unit(n: int, d: int, seed: int) -> torch.Tensor:
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=1)


def _records(n: int) -> list[Record]:
    return [Record(Path(f"/g/{i:04d}_c{i % 3 + 1}s1_000000_00.jpg"), i // 4, i % 3) for i in range(n)]


def test_torch_path_is_brute_force_topk() -> None:
    gallery, queries = _unit(50, 8, 0), _unit(7, 8, 1)
    index = GalleryIndex(gallery, ids=[f"g{i}" for i in range(50)], kind="torch")
    res = index.search(queries, top_k=5, block=3)
    expected = (queries @ gallery.t()).topk(5, dim=1)
    assert torch.equal(res.indices, expected.indices)
    assert torch.allclose(res.scores, expected.values)
    assert index.labels_of(res.indices[:1])[0][0] == f"g{int(expected.indices[0, 0])}"


@pytest.mark.parametrize("kind", ["exact", "ivf"])
def test_faiss_equals_torch(kind: str) -> None:
    gallery, queries = _unit(400, 16, 2), _unit(20, 16, 3)
    fast = GalleryIndex(gallery, kind=kind, options=IndexOptions(nprobe=1000))  # IVF visiting every list is exact
    simple = GalleryIndex(gallery, kind="torch")
    a, b = fast.search(queries, top_k=10), simple.search(queries, top_k=10)
    assert fast.kind is IndexKind(kind)
    assert torch.equal(a.indices, b.indices)
    assert torch.allclose(a.scores, b.scores, atol=1e-5)


def test_hnsw_finds_every_gallery_item_itself() -> None:
    gallery = _unit(500, 16, 4)
    index = GalleryIndex(gallery, kind="hnsw")
    res = index.search(gallery, top_k=3)
    assert torch.equal(res.indices[:, 0], torch.arange(500))
    assert torch.allclose(res.scores[:, 0], torch.ones(500), atol=1e-5)
    exact = GalleryIndex(gallery, kind="torch").search(gallery, top_k=3)
    assert (res.indices == exact.indices).float().mean() > 0.95


def test_auto_kind_by_size_and_torch_without_faiss() -> None:
    assert AUTO_EXACT_MAX_FLOATS == 8192 * 2048
    assert resolve_kind(IndexKind.AUTO, size=8192, dim=2048, have_faiss=True) is IndexKind.EXACT
    assert resolve_kind(IndexKind.AUTO, size=8193, dim=2048, have_faiss=True) is IndexKind.IVF
    assert resolve_kind(IndexKind.AUTO, size=32768, dim=512, have_faiss=True) is IndexKind.EXACT
    assert resolve_kind(IndexKind.IVF, size=10, dim=8, have_faiss=True) is IndexKind.IVF
    assert resolve_kind(IndexKind.HNSW, size=10, dim=8, have_faiss=False) is IndexKind.TORCH
    assert GalleryIndex(_unit(10, 4, 5), kind="auto").kind is IndexKind.EXACT


def test_fallback_when_faiss_is_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gallery, queries = _unit(100, 8, 6), _unit(5, 8, 7)
    built = GalleryIndex(gallery, kind="exact", records=_records(100))
    save_index(built, tmp_path / "idx")
    monkeypatch.setattr(gallery_index_module, "faiss_available", lambda: False)
    monkeypatch.setattr("unreid.retrieval.index_store.faiss_available", lambda: False)
    loaded = load_index(tmp_path / "idx")
    assert loaded.kind is IndexKind.TORCH and loaded.faiss_index() is None
    assert torch.equal(loaded.search(queries, top_k=4).indices, built.search(queries, top_k=4).indices)


@pytest.mark.parametrize("kind", ["exact", "ivf", "hnsw", "torch"])
def test_save_load_roundtrip(kind: str, tmp_path: Path) -> None:
    gallery, queries = _unit(300, 8, 8), _unit(6, 8, 9)
    index = GalleryIndex(gallery, kind=kind, records=_records(300), fingerprint="abc123")
    loaded = load_index(save_index(index, tmp_path / kind))
    assert loaded.kind is index.kind and loaded.fingerprint == "abc123" and loaded.records == index.records
    a, b = index.search(queries, top_k=5), loaded.search(queries, top_k=5)
    assert torch.equal(a.indices, b.indices)


def test_search_refuses_another_model_and_bad_shapes() -> None:
    index = GalleryIndex(_unit(20, 8, 10), records=_records(20), fingerprint="aaaa")
    with pytest.raises(ValueError, match="built with model aaaa, but this model is bbbb"):
        search_index(index, np.zeros((1, 8), np.float32), top_k=3, fingerprint="bbbb", index_name="idx")
    with pytest.raises(ValueError, match=r"queries must be \[Q, 8\]"):
        index.search(torch.zeros(1, 4))
    hits = search_index(index, index.features[3:4].numpy(), top_k=3, fingerprint="aaaa", index_name="idx")
    assert [h.rank for h in hits[0]] == [1, 2, 3] and hits[0][0].index == 3


def test_bad_gallery_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="gallery is empty"):
        GalleryIndex(torch.zeros(0, 8))
    with pytest.raises(ValueError, match="3 records for 20"):
        GalleryIndex(_unit(20, 8, 11), records=_records(3))
    with pytest.raises(ValueError, match="valid kinds: auto, exact, ivf, hnsw, torch"):
        GalleryIndex(_unit(20, 8, 11), kind="lsh")
    with pytest.raises(ValueError, match="no gallery index here"):
        load_index(tmp_path)
