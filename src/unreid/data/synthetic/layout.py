"""The file layout: which person appears in which camera, subset and file, under which name.

Training identities are the first half; every test identity gets at least two images in two
of its cameras, so each query has a gallery match in another camera (the Market-1501
protocol ignores same-camera matches). Distractors (``0000``) and junk crops (``-1``) go
into the gallery. Names follow Market-1501 (``0001_c1s1_000123_01.jpg``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

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


@dataclass(eq=False)
class _JobList:
    """The jobs planned so far, and each camera's frame counter (file names carry increasing frame numbers)."""

    rng: np.random.Generator
    frames: list[int]
    jobs: list[Job] = field(default_factory=list)

    def add(self, subset: str, person_id: int, person: Person | None, camera: int) -> None:
        self.frames[camera] += int(self.rng.integers(1, 150))
        box = int(self.rng.integers(1, 5))
        name = f"{person_id:04d}" if person_id >= 0 else "-1"
        self.jobs.append(Job(subset, f"{name}_c{camera + 1}s1_{self.frames[camera]:06d}_{box:02d}.jpg", person,
                             camera, len(self.jobs)))


def _add_train_identity(plan: _JobList, person_id: int, person: Person, cameras: list[int], counts: np.ndarray) -> None:
    for camera, count in zip(cameras, counts):
        for _ in range(int(count)):
            plan.add(SUBSET_FOLDERS["train"], person_id, person, camera)


def _add_test_identity(plan: _JobList, person_id: int, person: Person, cameras: list[int], counts: np.ndarray) -> None:
    """A query in each camera, and a gallery image in two cameras at least, so every query has a cross-camera match."""
    for i in np.argsort(-counts, kind="stable")[:2]:
        counts[i] = max(int(counts[i]), 2)
    for camera, count in zip(cameras, counts):
        plan.add(SUBSET_FOLDERS["query"], person_id, person, camera)
        for _ in range(int(count) - 1):
            plan.add(SUBSET_FOLDERS["gallery"], person_id, person, camera)


def _add_distractors_and_junk(plan: _JobList, config: SyntheticConfig) -> None:
    """Gallery-only people (``0000``) and junk crops (``-1``)."""
    num_test = config.num_identities - config.num_identities // 2
    for index in range(max(2, num_test // 2)):
        distractor = draw_person(seeded_rng(config.seed, STREAM_PERSON, config.num_identities + 1 + index))
        plan.add(SUBSET_FOLDERS["gallery"], 0, distractor, int(plan.rng.integers(config.num_cameras)))
    for _ in range(max(2, num_test // 6)):
        plan.add(SUBSET_FOLDERS["gallery"], -1, None, int(plan.rng.integers(config.num_cameras)))


def plan_jobs(config: SyntheticConfig) -> list[Job]:
    """Decide every file: which person, camera, subset and name."""
    rng = seeded_rng(config.seed, STREAM_LAYOUT)
    num_train = config.num_identities // 2
    plan = _JobList(rng=rng, frames=[int(f) for f in rng.integers(1, 500, config.num_cameras)])
    low_cams, high_cams = config.cameras_per_identity
    low_images, high_images = config.images_per_identity_camera
    for person_id in range(1, config.num_identities + 1):
        person = draw_person(seeded_rng(config.seed, STREAM_PERSON, person_id))
        cameras = sorted(int(c) for c in rng.choice(config.num_cameras, int(rng.integers(low_cams, high_cams + 1)),
                                                    replace=False))
        counts = rng.integers(low_images, high_images + 1, len(cameras))
        if person_id <= num_train:
            _add_train_identity(plan, person_id, person, cameras, counts)
        else:
            _add_test_identity(plan, person_id, person, cameras, counts)
    _add_distractors_and_junk(plan, config)
    return plan.jobs
