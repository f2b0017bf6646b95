"""A live ``unreid serve`` server for the serving tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.serving.http_server import SearchServer
from unreid.serving.search_service import SearchService, ServiceLimits


@contextlib.contextmanager
def running_server(serve_world: tuple[FeatureExtractor, GalleryIndex, Path], limits: ServiceLimits,
                   ) -> Iterator[SearchServer]:
    """A server on a free port of 127.0.0.1 in a background thread, for the ``with`` block."""
    extractor, index, _ = serve_world
    service = SearchService(index=index, embed=lambda images: extractor(images).numpy(),
                            fingerprint=extractor.fingerprint, name="test-index", limits=limits)
    httpd = SearchServer(service, port=0)  # any free port on 127.0.0.1
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
