"""The server behind ``unreid serve``: the ASGI app of :mod:`unreid.serving.asgi_app` on uvicorn.

The socket is bound when the server is made, so a port in use fails at once and
``port=0`` gives a free port that :attr:`SearchServer.server_address` names. uvicorn
answers 503 beyond ``limits.max_connections`` connections and closes idle keep-alive
connections after 5 s; the app bounds bodies, pixels, decoding and read time.
"""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn

from unreid.serving.asgi_app import build_app, page_html
from unreid.serving.search_service import SearchService

logger = logging.getLogger(__name__)

__all__ = ["SearchServer", "page_html"]


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
