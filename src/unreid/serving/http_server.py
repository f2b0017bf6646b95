"""The server behind ``unreid serve``: the ASGI app of :mod:`unreid.serving.asgi_app` on uvicorn.

The socket is bound when the server is made, so a port in use fails at once and
``port=0`` gives a free port that :attr:`SearchServer.server_address` names. uvicorn
answers 503 beyond ``limits.max_connections`` connections and closes idle keep-alive
connections after 5 s and any connection whose request headers are not in after
``limits.read_timeout_s``; the app bounds bodies, pixels, decoding and body read time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from unreid.serving.asgi_app import build_app, page_html
from unreid.serving.search_service import SearchService

logger = logging.getLogger(__name__)

__all__ = ["SearchServer", "page_html"]


def _protocol_with_header_timeout(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose first request headers are not complete after ``seconds``.

    uvicorn times out idle keep-alive connections only after a response; a client that
    opens connections and sends its headers a byte at a time would hold them forever.
    """

    class HeaderTimeoutProtocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

        def _headers_too_slow(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                logger.info("closed a connection whose request headers took over %.0f s", seconds)
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._header_timer.cancel()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


class SearchServer:
    """Serve a :class:`SearchService` over HTTP until :meth:`shutdown` (or Ctrl-C in the main thread).

    Args:
        service: what the API answers with.
        host: address to bind (``127.0.0.1``: this machine only).
        port: port (``0``: any free one).

    Raises:
        OSError: when the address cannot be bound.
    """

    def __init__(self, service: SearchService, *, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.service = service
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
            self._socket.listen(128)  # connections made before uvicorn starts wait in the backlog
        except OSError:
            self._socket.close()
            raise
        self.server_address = self._socket.getsockname()
        config = uvicorn.Config(
            build_app(service), log_level="warning", access_log=False, lifespan="off",
            limit_concurrency=service.limits.max_connections, timeout_keep_alive=5,
            http=_protocol_with_header_timeout(service.limits.read_timeout_s), h11_max_incomplete_event_size=16 * 1024,
        )
        self._server = uvicorn.Server(config)
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in str(host) else host}:{port}/"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown`; in the main thread Ctrl-C ends it with ``KeyboardInterrupt``."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait for it."""
        self._server.should_exit = True
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        self._socket.close()
