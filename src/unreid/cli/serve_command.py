"""``unreid serve INDEX --checkpoint model.pth``: a local search page over a gallery index."""

from __future__ import annotations

import argparse
import logging
import socket
from pathlib import Path

from unreid.cli.model_arguments import add_model_arguments

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="a local web page to search a gallery index with uploaded crops")
    parser.add_argument("index", type=Path, help="index folder from `unreid index build`")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 = any free port)")
    parser.add_argument("--max-upload-mb", type=float, default=5.0, help="larger uploads are refused with 413")
    parser.add_argument("--max-megapixels", type=float, default=4.0,
                        help="uploads declaring more pixels are refused with 413 before decoding")
    parser.add_argument("--decoders", type=int, default=2, help="uploads decoded at the same time (the rest wait)")
    parser.add_argument("--read-timeout", type=float, default=10.0,
                        help="seconds a client has to send its upload (then 408)")
    add_model_arguments(parser)
    parser.set_defaults(func=run)


def bind_failure(*, host: str, port: int, error: OSError) -> str:
    """Why ``host:port`` could not be bound, blaming the address or the port as the error says."""
    import errno

    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return (f"cannot listen on {host}:{port} ({error}): {host} is not an address of this machine; "
                "give --host 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")
    if error.errno == errno.EADDRINUSE:
        return f"cannot listen on {host}:{port} ({error}): the port is taken; choose another --port (0: any free one)"
    if error.errno == errno.EACCES:
        return f"cannot listen on {host}:{port} ({error}): ports below 1024 need privileges; choose --port 1024 or above"
    return f"cannot listen on {host}:{port} ({error}); check --host and --port"


def run(args: argparse.Namespace) -> int:
    from unreid.cli.model_arguments import load_embedder
    from unreid.retrieval.index_store import load_index
    from unreid.serving.search_service import SearchService, ServiceLimits

    try:
        from unreid.serving.http_server import SearchServer
    except ImportError as error:
        raise ValueError(f"unreid serve needs starlette, uvicorn and python-multipart ({error}); "
                         "install them with `pip install 'unreid[deploy]'`") from error
    for flag, value in (("--max-upload-mb", args.max_upload_mb), ("--max-megapixels", args.max_megapixels),
                        ("--decoders", args.decoders), ("--read-timeout", args.read_timeout)):
        if value <= 0:
            raise ValueError(f"{flag} {value} must be > 0")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port {args.port} is not a port: give 1-65535 (or 0 for any free port)")
    index = load_index(args.index)
    embedder = load_embedder(args)
    service = SearchService(index=index, embed=embedder.embed, fingerprint=embedder.fingerprint, name=str(args.index),
                            limits=ServiceLimits(max_upload_bytes=int(args.max_upload_mb * 2**20),
                                                 max_pixels=int(args.max_megapixels * 1e6), max_decoders=args.decoders,
                                                 read_timeout_s=args.read_timeout))
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("binding %s: the page is reachable from other machines and has no authentication", args.host)
    try:
        server = SearchServer(service, host=args.host, port=args.port)
    except OSError as error:
        raise ValueError(bind_failure(host=args.host, port=args.port, error=error)) from error
    print(f"serving {len(index)} gallery images at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
