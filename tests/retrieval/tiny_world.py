"""Test fixtures shared by tests/retrieval and tests/serving: a tiny checkpoint and Market-named crops."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from unreid.engine.checkpoint import save_atomic
from unreid.models.embedding_model import build_embedding_model

HEIGHT, WIDTH = 64, 32
BACKBONE = "resnet18"


def save_tiny_checkpoint(path: Path, *, seed: int = 0) -> Path:
    """A random-weight resnet18 ``model.pth`` at 64x32 in the format `unreid train` writes."""
    torch.manual_seed(seed)
    model = build_embedding_model(backbone=BACKBONE)
    spec = {"backbone": BACKBONE, "last_stride_one": True, "stride_in_1x1": False, "embedding_dim": 0,
            "gem_p": 3.0, "height": HEIGHT, "width": WIDTH}
    save_atomic({"model": model.state_dict(), "model_spec": spec}, path)
    return path


def crop(person: int, camera: int, shot: int) -> Image.Image:
    """A 96x48 crop: a person-coloured body on a camera-tinted background, slightly varied per shot."""
    rng = np.random.default_rng(1000 * person + 10 * camera + shot)
    colour = np.random.default_rng(person).integers(30, 230, 3)
    image = np.empty((96, 48, 3), dtype=np.float64)
    image[:] = 40 + 60 * camera
    image[20:90, 12:36] = colour
    image += rng.normal(0, 8, image.shape)
    return Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))


def write_market_folder(folder: Path, *, persons: int, cameras: int, shots: int, first_camera: int = 0) -> list[Path]:
    """Crops named ``PPPP_cCs1_FFFFFF_00.jpg`` (Market-1501 names), persons numbered from 1."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in range(1, persons + 1):
        for c in range(first_camera, first_camera + cameras):
            for s in range(shots):
                path = folder / f"{p:04d}_c{c + 1}s1_{100 * c + s:06d}_00.jpg"
                crop(p, c, s).save(path, quality=95)
                paths.append(path)
    return paths


def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for a module's tests (a fixture body): these models are tiny, and on
    a shared 2-core machine two threads spin against other jobs (measured 8x slower than one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
