"""The search filters of ``unreid serve``: ``camera``, ``exclude_self``, ``exclude_same_camera``."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from unreid.data.records import Record
from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.serving.http_server import SearchServer
from unreid.serving.openapi import openapi_schema
from unreid.serving.search_filters import SearchFilters
from unreid.serving.search_service import BadRequest, SearchService, ServiceLimits

World = tuple[FeatureExtractor, GalleryIndex, Path]


def _call(server: SearchServer, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=30)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _expected(index: GalleryIndex, row: int, keep: np.ndarray) -> list[int]:
    """Closed form: the allowed rows by descending similarity to row ``row``."""
    scores = (index.features @ index.features[row]).numpy()  # [G]
    order = np.argsort(-scores, kind="stable")
    return [int(i) for i in order if keep[i]]


def _cameras(index: GalleryIndex) -> np.ndarray:
    assert index.records is not None
    return np.array([r.camera_id for r in index.records])


def test_without_filters_a_gallery_crop_finds_itself_first(server: SearchServer) -> None:
    status, body = _call(server, "GET", "/api/search?gallery=7&top_k=12")
    assert status == 200 and body["results"][0]["index"] == 7 and len(body["results"]) == 12


@pytest.mark.parametrize("value", ["0", "c1", "1", "c2"])
def test_camera_keeps_only_that_camera(server: SearchServer, serve_world: World, value: str) -> None:
    index = serve_world[1]
    wanted = int(value[1:]) - 1 if value.startswith("c") else int(value)
    status, body = _call(server, "GET", f"/api/search?gallery=5&top_k=12&camera={value}")
    assert status == 200
    hits = body["results"]
    assert {h["camera_id"] for h in hits} == {wanted}
    assert [h["index"] for h in hits] == _expected(index, 5, _cameras(index) == wanted)  # all 6 of that camera
    assert [h["rank"] for h in hits] == list(range(1, 7))


def test_camera_is_validated(server: SearchServer) -> None:
    for value, message in (("7", "is not a camera of this gallery; use one of 0 (c1), 1 (c2)"),
                           ("c9", "is not a camera of this gallery"), ("front", "is not a camera number")):
        status, body = _call(server, "GET", f"/api/search?gallery=5&camera={value}")
        assert status == 400 and message in body["error"], value


def test_exclude_self_drops_the_query_row(server: SearchServer, serve_world: World) -> None:
    index = serve_world[1]
    status, plain = _call(server, "GET", "/api/search?gallery=7&top_k=12")
    status, body = _call(server, "GET", "/api/search?gallery=7&top_k=12&exclude_self=1")
    assert status == 200
    rows = [h["index"] for h in body["results"]]
    assert 7 not in rows and len(rows) == 11
    assert rows == [h["index"] for h in plain["results"]][1:]  # the rest keeps its order, ranked 1.. again
    assert body["results"][0]["rank"] == 1
    assert rows == _expected(index, 7, np.arange(len(index)) != 7)
    assert _call(server, "GET", "/api/search?gallery=7&exclude_self=maybe")[0] == 400


def test_exclude_self_drops_copies_of_the_same_path(serve_world: World) -> None:
    extractor, index, _ = serve_world
    assert index.records is not None
    records: list[Record] = [*index.records, index.records[2]]  # row 12 is row 2's image again
    doubled = GalleryIndex(np.concatenate([index.features.numpy(), index.features[2:3].numpy()]), records=records,
                           kind="exact", fingerprint=extractor.fingerprint)
    service = SearchService(index=doubled, embed=lambda i: extractor(i).numpy(), fingerprint=extractor.fingerprint,
                            name="doubled")
    plain = [h["index"] for h in service.search_gallery_item(2, top_k=13)]
    assert set(plain[:2]) == {2, 12}
    kept = [h["index"] for h in service.search_gallery_item(2, top_k=13, filters=SearchFilters(exclude_self=True))]
    assert kept == plain[2:]


def test_exclude_same_camera_is_the_market_protocol(server: SearchServer, serve_world: World) -> None:
    index = serve_world[1]
    cameras = _cameras(index)
    status, body = _call(server, "GET", "/api/search?gallery=7&top_k=12&exclude_same_camera=true")
    assert status == 200
    hits = body["results"]
    assert all(h["camera_id"] != cameras[7] for h in hits) and len(hits) == int((cameras != cameras[7]).sum())
    assert [h["index"] for h in hits] == _expected(index, 7, cameras != cameras[7])
    # the query's own camera asked for and left out: nothing is left, and that is an empty list, not an error
    status, body = _call(server, "GET", f"/api/search?gallery=7&camera={cameras[7]}&exclude_same_camera=1")
    assert status == 200 and body["results"] == []


def test_upload_filters(server: SearchServer, serve_world: World) -> None:
    index = serve_world[1]
    assert index.records is not None
    data = Path(index.records[3].path).read_bytes()  # a gallery file uploaded as the query
    status, body = _call(server, "POST", "/api/search?top_k=3", data)
    assert status == 200 and body["results"][0]["index"] == 3
    status, body = _call(server, "POST", "/api/search?top_k=3&exclude_self=1", data)
    assert status == 200 and 3 not in [h["index"] for h in body["results"]] and len(body["results"]) == 3
    status, body = _call(server, "POST", "/api/search?top_k=12&camera=c2", data)
    assert status == 200 and {h["camera_id"] for h in body["results"]} == {1} and len(body["results"]) == 6
    status, body = _call(server, "POST", "/api/search?exclude_same_camera=1", data)
    assert status == 400 and "the query's camera is unknown" in body["error"]


def test_filters_without_camera_ids(serve_world: World) -> None:
    extractor, index, _ = serve_world
    assert index.records is not None
    anonymous = GalleryIndex(index.features, records=[Record(r.path, -1, -1) for r in index.records], kind="exact",
                             fingerprint=extractor.fingerprint)
    service = SearchService(index=anonymous, embed=lambda i: extractor(i).numpy(),
                            fingerprint=extractor.fingerprint, name="anonymous", limits=ServiceLimits())
    with pytest.raises(BadRequest, match="have no camera ids"):
        service.filters({"camera": "0"})
    with pytest.raises(BadRequest, match="camera is unknown"):
        service.search_gallery_item(0, top_k=3, filters=SearchFilters(exclude_same_camera=True))


def test_openapi_documents_the_filters() -> None:
    paths = openapi_schema(ServiceLimits())["paths"]
    for method in ("get", "post"):
        names = {p["name"] for p in paths["/api/search"][method]["parameters"]}
        assert {"camera", "exclude_self", "exclude_same_camera"} <= names
    assert "/api/identities" in paths
