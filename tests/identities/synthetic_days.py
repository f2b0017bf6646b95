"""Features of two days of crops: people drawn around random unit centres in 32 dimensions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from unreid.identities.crop_records import Crop

DIM = 32


def centres(people: int, *, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(people, DIM))
    return c / np.linalg.norm(c, axis=1, keepdims=True)  # [P, D]


def day(persons: list[int], shots: int, *, name: str, seed: int, noise: float = 0.15,
        people_total: int = 10) -> tuple[list[Crop], np.ndarray, np.ndarray]:
    """``(crops, unit features [M, D], persons [M])`` of one day: ``shots`` crops of each person, 2 cameras."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.array(persons), shots)  # [M]
    x = centres(people_total)[truth] + noise * rng.normal(size=(truth.size, DIM))  # [M, D]
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    crops = [Crop(path=Path(f"/{name}/{p:04d}_{i:03d}.jpg"), camera=i % 2, track=None, person=int(p))
             for i, p in enumerate(truth.tolist())]
    return crops, x, truth
