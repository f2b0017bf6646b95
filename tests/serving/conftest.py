from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retrieval"))  # the shared tiny_world helpers

from live_server import running_server
from tiny_world import one_torch_thread, save_tiny_checkpoint, write_market_folder

from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.retrieval.image_records import records_of_source
from unreid.serving.http_server import SearchServer
from unreid.serving.search_service import ServiceLimits

MAX_UPLOAD = 200_000


_one_torch_thread = pytest.fixture(autouse=True, scope="module")(one_torch_thread)


@pytest.fixture(scope="session")
def serve_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[FeatureExtractor, GalleryIndex, Path]:
    root = tmp_path_factory.mktemp("serve")
    extractor = FeatureExtractor.from_checkpoint(save_tiny_checkpoint(root / "model.pth"))
    write_market_folder(root / "gallery", persons=3, cameras=2, shots=2)
    write_market_folder(root / "query", persons=3, cameras=1, shots=1, first_camera=2)
    records = records_of_source(root / "gallery")
    index = GalleryIndex(extractor([r.path for r in records]), records=records, kind="exact",
                         fingerprint=extractor.fingerprint)
    return extractor, index, root


@pytest.fixture(scope="session")
def clustered_world(serve_world: tuple[FeatureExtractor, GalleryIndex, Path],
                    ) -> tuple[FeatureExtractor, GalleryIndex, Path]:
    """The same 12 gallery crops with known clusters as features: every crop of a person gets that person's vector."""
    extractor, index, root = serve_world
    assert index.records is not None
    centres = torch.nn.functional.normalize(torch.randn(8, 16, generator=torch.Generator().manual_seed(0)), dim=1)
    features = torch.stack([centres[r.person_id] for r in index.records])  # [12, 16]
    clustered = GalleryIndex(features, records=index.records, kind="exact", fingerprint=extractor.fingerprint)
    return extractor, clustered, root


@pytest.fixture(scope="session")
def clustered_server(clustered_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> Iterator[SearchServer]:
    with running_server(clustered_world, ServiceLimits(max_upload_bytes=MAX_UPLOAD)) as httpd:
        yield httpd


@pytest.fixture(scope="session")
def server(serve_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> Iterator[SearchServer]:
    with running_server(serve_world, ServiceLimits(max_upload_bytes=MAX_UPLOAD)) as httpd:
        yield httpd
