"""Identities of a served gallery: grouping of cluster labels, clustering of known clusters, ``/api/identities``."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import unreid.serving.search_service as search_service
from unreid.data.records import Record
from unreid.retrieval.feature_extractor import FeatureExtractor
from unreid.retrieval.gallery_index import GalleryIndex
from unreid.serving.gallery_identities import gallery_identities, group_labels
from unreid.serving.http_server import SearchServer
from unreid.serving.search_service import SearchService

World = tuple[FeatureExtractor, GalleryIndex, Path]


def _records(cameras: list[int]) -> list[Record]:
    return [Record(Path(f"/g/{row:02d}.jpg"), -1, camera) for row, camera in enumerate(cameras)]


def test_group_labels_largest_first_members_by_camera() -> None:
    records = _records([2, 0, 1, 0, 2, 0, 1])
    identities = group_labels([5, 3, 5, -1, 3, 5, 3], records)
    assert [i.id for i in identities] == [0, 1]
    first, second = (i.as_dict() for i in identities)
    # both have 3 members; the tie goes to the cluster whose first crop comes first (label 5: row 0)
    assert [m["index"] for g in first["by_camera"] for m in g["members"]] == [5, 2, 0]
    assert first["cameras"] == [0, 1, 2] and first["size"] == 3
    assert [g["camera_id"] for g in first["by_camera"]] == [0, 1, 2]
    assert [[m["index"] for m in g["members"]] for g in second["by_camera"]] == [[1], [6], [4]]
    assert first["by_camera"][0]["members"][0] == {"index": 5, "name": "05.jpg", "camera_id": 0, "image": "/gallery/5"}


def test_known_clusters_become_pure_identities() -> None:
    centres = torch.nn.functional.normalize(torch.randn(3, 16, generator=torch.Generator().manual_seed(0)), dim=1)
    truth = [p for p in range(3) for _ in range(4)]  # 3 people x 4 crops, cameras c1 c1 c2 c2
    features = centres[truth]  # [12, 16]: every crop of a person has that person's vector
    records = _records([0, 0, 1, 1] * 3)
    result = gallery_identities(features=features, records=records)
    assert len(result.identities) == 3  # one identity per known cluster, none merged
    found = [{truth[m.index] for m in i.members} for i in result.identities]
    assert sorted(p for people in found for p in people) == [0, 1, 2] and all(len(p) == 1 for p in found)
    assert all(i.cameras == [0, 1] and len(i.members) >= 2 for i in result.identities)
    assert result.unassigned == 12 - sum(len(i.members) for i in result.identities)
    assert "3 identities in 12 crops" in result.message and "k1 3, k2 1, min_samples 2" in result.message


def test_small_gallery_gives_no_identities_and_says_why() -> None:
    result = gallery_identities(features=torch.eye(3), records=_records([0, 1, 0]))
    assert result.identities == () and result.unassigned == 3
    assert result.message == "the gallery has 3 crops; identities need at least 4"
    with pytest.raises(ValueError, match="3 gallery features for 2 records"):
        gallery_identities(features=torch.eye(3), records=_records([0, 1]))


def _get(server: SearchServer, path: str) -> tuple[int, Any]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_api_identities(clustered_server: SearchServer, clustered_world: World) -> None:
    index = clustered_world[1]
    assert index.records is not None
    status, body = _get(clustered_server, "/api/identities")
    assert status == 200 and body["count"] == 3 == len(body["identities"])
    for identity in body["identities"]:
        rows = [m["index"] for g in identity["by_camera"] for m in g["members"]]
        assert len({index.records[r].person_id for r in rows}) == 1 and identity["size"] == len(rows)
        assert [g["camera_id"] for g in identity["by_camera"]] == identity["cameras"] == [0, 1]
        assert all(m["image"] == f"/gallery/{m['index']}" and "path" not in m
                   for g in identity["by_camera"] for m in g["members"])
    assert _get(clustered_server, "/api/identities?k1=5")[0] == 400


def test_identities_are_computed_once(clustered_world: World,
                                     count_calls: Callable[[object, str], list[int]]) -> None:
    extractor, index, _ = clustered_world
    calls = count_calls(search_service, "gallery_identities")
    service = SearchService(index=index, embed=lambda i: extractor(i).numpy(), fingerprint=extractor.fingerprint,
                            name="clustered")
    assert calls == []  # nothing clustered before the first request
    first, second = service.identities(), service.identities()
    assert first == second and calls == [1]
