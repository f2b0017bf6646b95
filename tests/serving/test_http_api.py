"""The JSON API of ``unreid serve`` over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import io
import json
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from live_server import running_server
from PIL import Image

from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.serving.http_server import SearchServer
from unreid.serving.search_service import SearchService, ServiceLimits

MAX_UPLOAD = 200_000  # the limit the server fixture sets


def request(server: SearchServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        conn.close()


def get_json(server: SearchServer, path: str) -> tuple[int, Any]:
    status, body, kind = request(server, "GET", path)
    assert kind == "application/json"
    return status, json.loads(body)


def test_binds_loopback_and_serves_the_page(server: SearchServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    assert server.service.limits.max_upload_bytes == MAX_UPLOAD
    status, body, kind = request(server, "GET", "/")
    assert status == 200 and kind.startswith("text/html") and b'id="search"' in body


def test_info(server: SearchServer, serve_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> None:
    status, info = get_json(server, "/api/info")
    assert status == 200
    assert info["gallery_size"] == 12 and info["cameras"] == 2 and info["kind"] == "exact"
    assert info["fingerprint"] == serve_world[0].fingerprint and info["max_upload_bytes"] == MAX_UPLOAD


def test_upload_search_equals_direct_search(server: SearchServer,
                                            serve_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> None:
    extractor, index, root = serve_world
    query = next((root / "query").glob("0002_*.jpg"))
    status, body, _ = request(server, "POST", "/api/search?top_k=5", query.read_bytes(), {"Content-Type": "image/jpeg"})
    assert status == 200
    results = json.loads(body)["results"]
    expected = index.search(extractor([query]), top_k=5)
    assert [r["index"] for r in results] == expected.indices[0].tolist()
    assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    assert np.allclose([r["score"] for r in results], expected.scores[0].numpy(), atol=1e-5)
    first = results[0]
    assert first["image"] == f"/gallery/{first['index']}" and "path" not in first
    assert first["camera_id"] in (0, 1) and first["name"].endswith(".jpg")


def test_gallery_item_as_query_finds_itself(server: SearchServer) -> None:
    status, body = get_json(server, "/api/search?gallery=7&top_k=3")
    assert status == 200 and body["results"][0]["index"] == 7
    assert body["results"][0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert body["results"][0]["match"] is True  # 0002_c2... : gallery row 7 is person 2
    assert all(hit["match"] == (hit["person_id"] == 2) for hit in body["results"])


def test_gallery_images_by_number_only(server: SearchServer,
                                       serve_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> None:
    index = serve_world[1]
    assert index.records is not None
    status, body, kind = request(server, "GET", "/gallery/3")
    assert status == 200 and kind == "image/jpeg" and body == Path(index.records[3].path).read_bytes()
    for path in ("/gallery/12", "/gallery/-1", "/gallery/../../../etc/passwd", "/gallery/%2e%2e%2fetc%2fpasswd",
                 "/etc/passwd", "/gallery/3/../../model.pth", "/static/../model.pth"):
        status, body, _ = request(server, "GET", path)
        assert status == 404, path
        assert b"root:" not in body and "error" in json.loads(body)


def test_non_image_upload_is_415(server: SearchServer) -> None:
    status, body, _ = request(server, "POST", "/api/search", b"%PDF-1.4 not a crop", {"Content-Type": "image/jpeg"})
    assert status == 415 and "not a readable image" in json.loads(body)["error"]
    truncated = io.BytesIO()
    Image.new("RGB", (32, 64), (200, 10, 10)).save(truncated, format="PNG")
    status, body, _ = request(server, "POST", "/api/search", truncated.getvalue()[:40])
    assert status == 415


def test_empty_and_oversize_uploads(server: SearchServer) -> None:
    status, body, _ = request(server, "POST", "/api/search", b"")
    assert status == 400 and "empty upload" in json.loads(body)["error"]
    status, body, _ = request(server, "POST", "/api/search", b"\xff" * (MAX_UPLOAD + 1))
    assert status == 413 and f"limit of {MAX_UPLOAD} bytes" in json.loads(body)["error"]


def test_bad_parameters(server: SearchServer) -> None:
    assert get_json(server, "/api/search?gallery=1&top_k=0")[0] == 400
    assert get_json(server, "/api/search?gallery=1&top_k=many")[0] == 400
    assert get_json(server, "/api/search?gallery=99")[0] == 404
    assert request(server, "POST", "/api/upload", b"x")[0] == 404


def test_examples_are_gallery_rows(server: SearchServer) -> None:
    status, body = get_json(server, "/api/examples?n=4")
    assert status == 200 and [e["index"] for e in body["examples"]] == [0, 4, 7, 11]


def test_service_refuses_empty_gallery_and_other_model(
    serve_world: tuple[FeatureExtractor, GalleryIndex, Path],
) -> None:
    extractor, index, _ = serve_world
    unlabelled = GalleryIndex(index.features, kind="torch")  # no records: nothing the page could show
    with pytest.raises(ValueError, match="gallery index x is empty"):
        SearchService(index=unlabelled, embed=lambda i: extractor(i).numpy(), fingerprint=None, name="x")
    with pytest.raises(ValueError, match="built with model"):
        SearchService(index=index, embed=lambda i: extractor(i).numpy(), fingerprint="0" * 16, name="x")


def test_huge_image_and_missing_length(server: SearchServer,
                                       serve_world: tuple[FeatureExtractor, GalleryIndex, Path]) -> None:
    crop_file = next((serve_world[2] / "query").glob("*.jpg"))
    with running_server(serve_world, ServiceLimits(max_pixels=96 * 48 - 1)) as small:  # the crops are 96 x 48
        status, body, _ = request(small, "POST", "/api/search", crop_file.read_bytes())
    assert status == 413 and "48 x 96 pixels is more than 4,607" in json.loads(body)["error"]
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=30) as raw:
        raw.sendall(b"POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = raw.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 411") and b"Content-Length header" in answer
