"""The web side of ``unreid serve`` as an ASGI application (Starlette): the page, the JSON API, gallery crops.

Routes:
    ``GET /``                      the page (``static/index.html``)
    ``GET /api/info``              gallery size, model fingerprint, limits
    ``GET /api/examples?n=12``     gallery crops offered as queries
    ``POST /api/search?top_k=10``  an image file as the body or as the ``file`` field of a form
    ``GET /api/search?gallery=I``  hits of gallery crop ``I`` used as the query
                                   (both take ``camera``, ``exclude_self``, ``exclude_same_camera``)
    ``GET /api/identities``        the gallery clustered into identities (computed once, on first call)
    ``GET /gallery/I``             the image of gallery entry ``I`` (by row number only)
    ``GET /openapi.json``          the OpenAPI schema of the API

Errors are JSON ``{"error": message}`` with a 4xx code; so is an unknown or malformed
query parameter. Decoding and embedding run in worker threads, at most
``limits.max_decoders`` uploads at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unreid.serving.openapi import openapi_schema
from unreid.serving.search_filters import FILTER_PARAMETERS
from unreid.serving.search_service import BadRequest, SearchService
from unreid.serving.upload import read_upload

logger = logging.getLogger(__name__)


def page_html() -> bytes:
    return resources.files("unreid.serving").joinpath("static/index.html").read_bytes()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _integer(text: str, name: str, *, status: int = 400) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r} is not a whole number", status=status) from None


def _query(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, refusing any name not in ``allowed``."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        expected = ", ".join(allowed) if allowed else "none"
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}; expected: {expected}")
    return {key: request.query_params[key] for key in request.query_params}


class _NoSniff:
    """Adds ``X-Content-Type-Options: nosniff`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-content-type-options", b"nosniff"))
            await send(message)

        await self.app(scope, receive, send_with_header if scope["type"] == "http" else send)


def _guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """``handler``, with a :class:`BadRequest` answered as a JSON error."""
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except BadRequest as error:
            return _error(error.status, str(error))

    return endpoint


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (no such route, wrong method) as JSON errors that say where to look."""
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        return _error(404, f"no such page {request.url.path!r}; see / for the search page")
    if error.status_code == 405:
        return _error(405, f"{request.method} is not allowed on {request.url.path}; see /openapi.json")
    return _error(error.status_code, str(error.detail))


class _Endpoints:
    """The handlers of the routes, on one service; uploads are embedded in the ``decoders`` pool."""

    def __init__(self, service: SearchService, decoders: ThreadPoolExecutor) -> None:
        self.service, self.decoders = service, decoders

    async def page(self, request: Request) -> Response:
        _query(request, ())
        return HTMLResponse(page_html())

    async def info(self, request: Request) -> Response:
        _query(request, ())
        return JSONResponse(self.service.info())

    async def examples(self, request: Request) -> Response:
        query = _query(request, ("n",))
        return JSONResponse({"examples": self.service.examples(_integer(query.get("n", "12"), "n"))})

    async def search_gallery(self, request: Request) -> Response:
        service = self.service
        query = _query(request, ("gallery", "top_k", *FILTER_PARAMETERS))
        if "gallery" not in query:
            raise BadRequest("GET /api/search needs gallery=ROW; to search with an image, POST it")
        row, top_k = _integer(query["gallery"], "gallery"), service.top_k(query.get("top_k"))
        filters = service.filters(query)
        return JSONResponse({"results": service.search_gallery_item(row, top_k=top_k, filters=filters)})

    async def search_upload(self, request: Request) -> Response:
        service = self.service
        query = _query(request, ("top_k", *FILTER_PARAMETERS))
        top_k, filters = service.top_k(query.get("top_k")), service.filters(query)
        data = await read_upload(request, service.limits)
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(
            self.decoders, functools.partial(service.search_upload, data, top_k=top_k, filters=filters))
        return JSONResponse({"results": results})

    async def identities(self, request: Request) -> Response:
        _query(request, ())
        return JSONResponse(await run_in_threadpool(self.service.identities))

    async def gallery(self, request: Request) -> Response:
        _query(request, ())
        image = self.service.gallery_path(_integer(request.path_params["row"], "gallery item", status=404))
        data = await run_in_threadpool(image.read_bytes)
        return Response(data, media_type=mimetypes.guess_type(image.name)[0] or "application/octet-stream")

    async def schema(self, request: Request) -> Response:
        return JSONResponse(openapi_schema(self.service.limits))

    def routes(self) -> list[Route]:
        return [
            Route("/", _guarded(self.page), methods=["GET"]),
            Route("/index.html", _guarded(self.page), methods=["GET"]),
            Route("/api/info", _guarded(self.info), methods=["GET"]),
            Route("/api/examples", _guarded(self.examples), methods=["GET"]),
            Route("/api/search", _guarded(self.search_gallery), methods=["GET"]),
            Route("/api/search", _guarded(self.search_upload), methods=["POST"]),
            Route("/api/identities", _guarded(self.identities), methods=["GET"]),
            Route("/gallery/{row:str}", _guarded(self.gallery), methods=["GET"]),
            Route("/openapi.json", self.schema, methods=["GET"]),
        ]


def build_app(service: SearchService) -> ASGIApp:
    """The ASGI application serving ``service``.

    Uploads are decoded and embedded in a pool of ``limits.max_decoders`` threads of its
    own: few threads also keep the allocator's per-thread memory pools few, so memory
    stays flat however many clients upload at once (the others wait, bounded by
    ``limits.max_connections``).
    """
    decoders = ThreadPoolExecutor(max_workers=service.limits.max_decoders, thread_name_prefix="unreid-decode")
    endpoints = _Endpoints(service, decoders)
    app = Starlette(routes=endpoints.routes(), exception_handlers={HTTPException: _http_error})
    return _NoSniff(app)
