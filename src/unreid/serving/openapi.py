"""The OpenAPI 3.1 description of the ``unreid serve`` API (``GET /openapi.json``)."""

from __future__ import annotations

from typing import Any

from unreid.serving.search_service import ServiceLimits


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _hits() -> dict[str, Any]:
    return {"description": "ranked hits, best first",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Results"}}}}


def openapi_schema(limits: ServiceLimits) -> dict[str, Any]:
    """The schema, with the server's limits in the parameter ranges."""
    top_k = {"name": "top_k", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": limits.max_top_k, "default": 10}}
    bad = _error("a malformed or unknown query parameter")
    filters = [
        {"name": "camera", "in": "query", "required": False,
         "description": "only gallery crops of this camera: the zero-based camera_id of the results "
                        "(0 is the page's c1), or the label c1, c2, ...; must be a camera of the gallery",
         "schema": {"type": ["integer", "string"], "examples": [0, "c1"]}},
        {"name": "exclude_self", "in": "query", "required": False,
         "description": "leave out the query's own gallery entry: the picked row and any entry with the same "
                        "image path (GET), or gallery files with exactly the uploaded bytes (POST)",
         "schema": {"type": "boolean", "default": False}},
        {"name": "exclude_same_camera", "in": "query", "required": False,
         "description": "leave out gallery crops of the query's camera (the Market-1501 protocol); needs a "
                        "query of known camera, so a gallery crop (GET): 400 for uploads",
         "schema": {"type": "boolean", "default": False}},
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "unreid serve", "version": "1",
                 "description": "Search a gallery of person crops with an uploaded crop."},
        "paths": {
            "/api/info": {"get": {"summary": "gallery size, model fingerprint and limits",
                                  "responses": {"200": {"description": "server information"}}}},
            "/api/examples": {"get": {
                "summary": "gallery entries offered as queries",
                "parameters": [{"name": "n", "in": "query", "schema": {
                    "type": "integer", "minimum": 1, "maximum": limits.max_examples, "default": 12}}],
                "responses": {"200": {"description": "evenly spaced gallery entries"}, "400": bad}}},
            "/api/identities": {"get": {
                "summary": "the gallery clustered into identities without labels (computed on the first call)",
                "description": "Jaccard + DBSCAN with k1/k2/min_samples scaled to the gallery size; each identity "
                               "has its crops grouped by camera. Fewer than 4 crops: an empty list and a message.",
                "responses": {"200": {"description": "identities, largest first",
                                      "content": {"application/json": {"schema": {
                                          "$ref": "#/components/schemas/Identities"}}}}, "400": bad}}},
            "/api/search": {
                "get": {"summary": "hits of a gallery entry used as the query",
                        "parameters": [{"name": "gallery", "in": "query", "required": True,
                                        "schema": {"type": "integer", "minimum": 0}}, top_k, *filters],
                        "responses": {"200": _hits(), "400": bad, "404": _error("no such gallery entry")}},
                "post": {
                    "summary": "hits of an uploaded crop",
                    "parameters": [top_k, *filters],
                    "requestBody": {"required": True, "content": {
                        "image/*": {"schema": {"type": "string", "format": "binary",
                                               "maxLength": limits.max_upload_bytes}},
                        "multipart/form-data": {"schema": {"type": "object", "properties": {
                            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}},
                    "responses": {
                        "200": _hits(), "400": bad, "408": _error(f"body not sent within {limits.read_timeout_s:g} s"),
                        "411": _error("no Content-Length"),
                        "413": _error(f"over {limits.max_upload_bytes} bytes or {limits.max_pixels} pixels"),
                        "415": _error("not a readable image")}}},
            "/gallery/{row}": {"get": {
                "summary": "the image of a gallery entry",
                "parameters": [{"name": "row", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "the image file"}, "404": _error("no such gallery entry")}}},
        },
        "components": {"schemas": {
            "Identities": {"type": "object", "properties": {
                "count": {"type": "integer"}, "unassigned": {"type": "integer"}, "message": {"type": "string"},
                "identities": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "size": {"type": "integer"},
                    "cameras": {"type": "array", "items": {"type": "integer"}},
                    "by_camera": {"type": "array", "items": {"type": "object", "properties": {
                        "camera_id": {"type": "integer"}, "members": {"type": "array", "items": {
                            "type": "object", "properties": {
                                "index": {"type": "integer"}, "name": {"type": "string"},
                                "image": {"type": "string"}, "camera_id": {"type": "integer"}}}}}}}}}}}},
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
            "Results": {"type": "object", "properties": {"results": {"type": "array", "items": {
                "type": "object", "properties": {
                    "rank": {"type": "integer"}, "index": {"type": "integer"}, "score": {"type": "number"},
                    "name": {"type": "string"}, "image": {"type": "string"}, "person_id": {"type": "integer"},
                    "camera_id": {"type": "integer"}, "match": {"type": ["boolean", "null"]}}}}}},
        }},
    }
