"""What one client may cost ``unreid serve``: multipart uploads, parameter checks, slow clients, memory under load.

The load test runs on 127.0.0.1 only and is bounded (24 + 16 requests).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from live_server import running_server
from PIL import Image

from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.serving.http_server import SearchServer
from unreid.serving.search_service import ServiceLimits

World = tuple[FeatureExtractor, GalleryIndex, Path]


def _post(server: SearchServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=60)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _get(server: SearchServer, path: str) -> tuple[int, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _multipart(data: bytes, *, name: str = "file", filename: str = "q.jpg") -> tuple[bytes, dict[str, str]]:
    """The body ``curl -F file=@q.jpg`` sends."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_multipart_upload_is_accepted_like_a_raw_body(server: SearchServer, serve_world: World) -> None:
    query = next((serve_world[2] / "query").glob("0002_*.jpg")).read_bytes()
    raw_status, raw = _post(server, "/api/search?top_k=4", query, {"Content-Type": "image/jpeg"})
    form_status, form = _post(server, "/api/search?top_k=4", *_multipart(query))
    assert raw_status == form_status == 200 and form["results"] == raw["results"]
    status, body = _post(server, "/api/search", *_multipart(b"not an image"))
    assert status == 415 and "not a readable image" in body["error"]
    boundary = uuid.uuid4().hex
    empty_form = f"--{boundary}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--{boundary}--\r\n".encode()
    status, body = _post(server, "/api/search", empty_form,
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 400 and "curl -F file=@" in body["error"]


@pytest.mark.parametrize("path, status, words", [
    ("/api/examples?n=abc", 400, "n='abc'"),
    ("/api/examples?n=0", 400, "n=0 is out of range"),
    ("/api/examples?n=100000", 400, "n=100000 is out of range"),
    ("/api/examples?count=3", 400, "unknown query parameter(s) count"),
    ("/api/info?debug=1", 400, "unknown query parameter(s) debug"),
    ("/api/search?gallery=abc", 400, "gallery='abc'"),
    ("/api/search?gallery=1&top_k=1000", 400, "top_k=1000 is out of range"),
    ("/api/search?gallery=1&topk=3", 400, "unknown query parameter(s) topk"),
    ("/api/search", 400, "needs gallery=ROW"),
    ("/gallery/abc", 404, "not a whole number"),
])
def test_every_query_parameter_is_checked(path: str, status: int, words: str, server: SearchServer) -> None:
    got, body = _get(server, path)
    assert got == status and words in body["error"]


def test_post_parameters_are_checked_before_the_body_is_read(server: SearchServer) -> None:
    assert _post(server, "/api/search?top_k=x", b"abc", {})[0] == 400
    assert _post(server, "/api/search?k=3", b"abc", {})[0] == 400


def test_openapi_schema_describes_the_api(server: SearchServer) -> None:
    status, schema = _get(server, "/openapi.json")
    assert status == 200 and schema["openapi"].startswith("3.")
    assert {"/api/info", "/api/examples", "/api/search", "/gallery/{row}"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/api/search"]["post"]["requestBody"]["content"]


def test_a_slow_client_gets_408(serve_world: World) -> None:
    with running_server(serve_world, ServiceLimits(read_timeout_s=0.5)) as slow:
        host, port = slow.server_address[:2]
        # the client would wait 30 s (then socket.timeout fails the test): the 408 comes from the server's timeout
        with socket.create_connection((str(host), int(port)), timeout=30) as raw:
            raw.sendall(b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"\xff" * 10)
            answer = raw.makefile("rb").readline()
        assert answer.startswith(b"HTTP/1.1 408")


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def peak_rss() -> Iterator[list[int]]:
    """``[baseline, peak]`` resident memory of this process (the server runs in it) while the test runs."""
    sample = [_rss(), _rss()]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.002):
            sample[1] = max(sample[1], _rss())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield sample
    done.set()
    watcher.join()


def _png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (side, side), 90).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def test_memory_stays_flat_under_parallel_large_uploads(serve_world: World, peak_rss: list[int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from unreid.serving import search_service

    bomb = _png(6300)  # about 40 KB that declares 39.7 million pixels (440 MB to decode with the old server)
    allowed = _png(1900)  # 3.6 million pixels: decoded, at most max_decoders at a time
    assert len(bomb) < 200_000
    busy, most = [0], [0]
    lock = threading.Lock()
    real_to_rgb = search_service.to_rgb

    def counting_to_rgb(*args: object, **kwargs: object) -> Image.Image:
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            return real_to_rgb(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(search_service, "to_rgb", counting_to_rgb)
    limits = ServiceLimits(max_upload_bytes=200_000, max_decoders=2)
    with running_server(serve_world, limits) as httpd, ThreadPoolExecutor(8) as pool:
        def send(data: bytes) -> int:
            return _post(httpd, "/api/search?top_k=3", data, {"Content-Type": "image/png"})[0]

        for _ in range(3):
            assert list(pool.map(send, [bomb] * 8)) == [413] * 8
        bomb_growth = peak_rss[1] - peak_rss[0]
        for _ in range(2):
            assert list(pool.map(send, [allowed] * 8)) == [200] * 8
    growth = peak_rss[1] - peak_rss[0]
    assert bomb_growth < 60 * 2**20, f"{bomb_growth / 2**20:.0f} MB for refused uploads"
    assert growth < 250 * 2**20, f"{growth / 2**20:.0f} MB for 16 uploads of 3.6 million pixels"
    assert most[0] <= 2  # never more than max_decoders decoding at once


def test_curl_data_binary_content_type_is_read_as_the_image(server: SearchServer, serve_world: World) -> None:
    query = next((serve_world[2] / "query").glob("0002_*.jpg")).read_bytes()
    status, body = _post(server, "/api/search?top_k=2", query, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and len(body["results"]) == 2


def test_a_client_that_never_finishes_its_headers_is_dropped(serve_world: World) -> None:
    with running_server(serve_world, ServiceLimits(read_timeout_s=0.5)) as slow:
        host, port = slow.server_address[:2]
        with socket.create_connection((str(host), int(port)), timeout=30) as raw:  # socket.timeout if never dropped
            raw.sendall(b"GET /api/info HTTP/1.1\r\nHost: x\r\n")  # headers never end
            assert raw.recv(100) == b""  # closed by the server
        assert _get(slow, "/api/info")[0] == 200  # others are still served
