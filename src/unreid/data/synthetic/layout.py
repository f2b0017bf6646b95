"""The file layout: which person appears in which camera, subset and file, under which name.

Training identities are the first half; every test identity gets at least two images in two
of its cameras, so each query has a gallery match in another camera (the Market-1501
protocol ignores same-camera matches). Distractors (``0000``) and junk crops (``-1``) go
into the gallery. Names follow Market-1501 (``0001_c1s1_000123_01.jpg``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from unreid.data.market1501 import SUBSET_FOLDERS
from unreid.data.synthetic.appearance import Person, draw_person
from unreid.data.synthetic.config import SyntheticConfig
from unreid.data.synthetic.random_streams import (
    STREAM_LAYOUT,
    STREAM_PERSON,
    seeded_rng,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Job:
    """One file to draw: its subset folder, name, person, camera index and image stream key."""

    subset: str
    file_name: str
    person: Person | None  # None: junk crop without a whole person
    camera: int
    key: int


def plan_jobs(config: SyntheticConfig) -> list[Job]:
    """Decide every file: which person, camera, subset and name."""
    rng = seeded_rng(config.seed, STREAM_LAYOUT)
    num_train = config.num_identities // 2
    frames = [int(f) for f in rng.integers(1, 500, config.num_cameras)]
    jobs: list[Job] = []

    def add(subset: str, person_id: int, person: Person | None, camera: int) -> None:
        frames[camera] += int(rng.integers(1, 150))
        box = int(rng.integers(1, 5))
        name = f"{person_id:04d}" if person_id >= 0 else "-1"
        jobs.append(Job(subset, f"{name}_c{camera + 1}s1_{frames[camera]:06d}_{box:02d}.jpg", person, camera,
                         len(jobs)))

    low_cams, high_cams = config.cameras_per_identity
    low_images, high_images = config.images_per_identity_camera
    for person_id in range(1, config.num_identities + 1):
        person = draw_person(seeded_rng(config.seed, STREAM_PERSON, person_id))
        cameras = sorted(int(c) for c in rng.choice(config.num_cameras, int(rng.integers(low_cams, high_cams + 1)),
                                                    replace=False))
        counts = rng.integers(low_images, high_images + 1, len(cameras))
        if person_id <= num_train:
            for camera, count in zip(cameras, counts):
                for _ in range(int(count)):
                    add(SUBSET_FOLDERS["train"], person_id, person, camera)
            continue
        # Test identity: a gallery image in two cameras at least, so every query has a cross-camera match.
        for i in np.argsort(-counts, kind="stable")[:2]:
            counts[i] = max(int(counts[i]), 2)
        for camera, count in zip(cameras, counts):
            add(SUBSET_FOLDERS["query"], person_id, person, camera)
            for _ in range(int(count) - 1):
                add(SUBSET_FOLDERS["gallery"], person_id, person, camera)
    num_test = config.num_identities - num_train
    for index in range(max(2, num_test // 2)):
        distractor = draw_person(seeded_rng(config.seed, STREAM_PERSON, config.num_identities + 1 + index))
        add(SUBSET_FOLDERS["gallery"], 0, distractor, int(rng.integers(config.num_cameras)))
    for _ in range(max(2, num_test // 6)):
        add(SUBSET_FOLDERS["gallery"], -1, None, int(rng.integers(config.num_cameras)))
    return jobs
