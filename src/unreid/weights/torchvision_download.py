"""Downloading a torchvision weights file, checked against the sha256 prefix in its name.

torchvision names its files ``<model>-<first hex digits of sha256>.pth``; the check catches a
truncated or substituted download before it lands in the cache. A copy already in torch
hub's cache (``$TORCH_HOME/hub/checkpoints``) is used instead of the network.

``torch.hub.download_url_to_file(url, dst, hash_prefix=...)`` makes the same check but takes
no timeout (its ``urlopen`` waits forever on a stalled connection, and a process-wide
``socket.setdefaulttimeout`` would reach every other thread), so this short loop stays ours.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from pathlib import Path

import torch

from unreid.io.atomic_file import atomic_file
from unreid.weights.sha256_cache import sha256_of_file

logger = logging.getLogger(__name__)


def sha256_prefix_of(url: str) -> str:
    """The hex digits after the last ``-`` of the file name (``resnet50-0676ba61.pth`` -> ``0676ba61``)."""
    filename = url.rsplit("/", 1)[-1]
    return filename.rsplit("-", 1)[-1].split(".")[0]


def fetch_torchvision_file(url: str, *, cache_dir: Path, timeout_s: float) -> Path:
    """torch hub's copy of ``url`` if it checks out, else download it into ``cache_dir/torchvision``.

    Raises:
        OSError: on a network failure, or when the downloaded bytes do not match the name's
            sha256 prefix (nothing is written then).
    """
    filename = url.rsplit("/", 1)[-1]
    hash_prefix = sha256_prefix_of(url)
    hub_file = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if hub_file.is_file() and sha256_of_file(hub_file).startswith(hash_prefix):
        logger.info("using torch hub's %s", hub_file)
        return hub_file
    target = Path(cache_dir) / "torchvision" / filename
    logger.info("downloading %s (timeout %.0f s)", url, timeout_s)
    with atomic_file(target) as out, urllib.request.urlopen(url, timeout=timeout_s) as response:
        digest = hashlib.sha256()
        for chunk in iter(lambda: response.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
        if not digest.hexdigest().startswith(hash_prefix):
            raise OSError(f"{url}: downloaded file does not match the sha256 prefix {hash_prefix}")
    return target
