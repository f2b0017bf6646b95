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
            "/api/search": {
                "get": {"summary": "hits of a gallery entry used as the query",
                        "parameters": [{"name": "gallery", "in": "query", "required": True,
                                        "schema": {"type": "integer", "minimum": 0}}, top_k],
                        "responses": {"200": _hits(), "400": bad, "404": _error("no such gallery entry")}},
                "post": {
                    "summary": "hits of an uploaded crop",
                    "parameters": [top_k],
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
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
            "Results": {"type": "object", "properties": {"results": {"type": "array", "items": {
                "type": "object", "properties": {
                    "rank": {"type": "integer"}, "index": {"type": "integer"}, "score": {"type": "number"},
                    "name": {"type": "string"}, "image": {"type": "string"}, "person_id": {"type": "integer"},
                    "camera_id": {"type": "integer"}, "match": {"type": ["boolean", "null"]}}}}}},
        }},
    }
