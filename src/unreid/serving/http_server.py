"""The HTTP side of ``unreid serve``: the page, a JSON API and gallery crops, on the standard library.

Routes:
    ``GET /``                      the page (``static/index.html``)
    ``GET /api/info``              gallery size, model fingerprint, limits
    ``GET /api/examples?n=12``     gallery crops offered as queries
    ``POST /api/search?top_k=10``  body: an image file; answer: ranked hits
    ``GET /api/search?gallery=I``  hits of gallery crop ``I`` used as the query
    ``GET /gallery/I``             the image of gallery entry ``I`` (by row number only)

Errors are JSON ``{"error": message}`` with a 4xx code. Bodies longer than the configured
limit are refused from their ``Content-Length`` before any byte is read.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from unreid.serving.search_service import BadRequest, SearchService

logger = logging.getLogger(__name__)


def page_html() -> bytes:
    return resources.files("unreid.serving").joinpath("static/index.html").read_bytes()


class SearchHandler(BaseHTTPRequestHandler):
    """Request handler; the server's ``service`` attribute is the :class:`SearchService`."""

    server: SearchServer
    server_version = "unreid"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        logger.debug("%s %s", self.address_string(), format % args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, payload: Any, status: int = 200) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json({"error": message}, status)

    def _route(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, query = self._route()
        service = self.server.service
        try:
            if path in ("/", "/index.html"):
                self._send(200, page_html(), "text/html; charset=utf-8")
            elif path == "/api/info":
                self._json(service.info())
            elif path == "/api/examples":
                self._json({"examples": service.examples(_int(query.get("n", "12"), "n"))})
            elif path == "/api/search" and "gallery" in query:
                row = _int(query["gallery"], "gallery")
                self._json({"results": service.search_gallery_item(row, top_k=service.top_k(query.get("top_k")))})
            elif path.startswith("/gallery/"):
                image = service.gallery_path(_int(path.removeprefix("/gallery/"), "gallery item"))
                self._send(200, image.read_bytes(), mimetypes.guess_type(image.name)[0] or "application/octet-stream")
            else:
                self._error(404, f"no such page {path!r}; see / for the search page")
        except BadRequest as error:
            self._error(error.status, str(error))

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        path, query = self._route()
        service = self.server.service
        if path != "/api/search":
            self._error(404, f"no such endpoint {path!r}; POST an image file to /api/search")
            self.close_connection = True
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            self._error(HTTPStatus.LENGTH_REQUIRED, "send the image with a Content-Length header")
            self.close_connection = True
            return
        length = int(length_header)
        if length > service.limits.max_upload_bytes:
            self._error(413, f"upload of {length} bytes exceeds the limit of {service.limits.max_upload_bytes} bytes; "
                             "send a smaller crop")
            self.close_connection = True  # the body is not read
            return
        data = self.rfile.read(length)
        try:
            self._json({"results": service.search_upload(data, top_k=service.top_k(query.get("top_k")))})
        except BadRequest as error:
            self._error(error.status, str(error))


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"{name} {text!r} is not a number", status=404 if name == "gallery item" else 400) from None


class SearchServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the :class:`SearchService`."""

    daemon_threads = True

    def __init__(self, service: SearchService, *, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.service = service
        super().__init__((host, port), SearchHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}/"
