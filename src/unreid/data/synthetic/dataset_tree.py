"""Writing the data set tree atomically, and reusing a finished one with the same config.

Images go into a sibling temporary folder that is renamed to the root once complete, with a
``.complete`` marker (generator version and config) written last; an interrupted run leaves
nothing, and a later run with the same config reuses the set instead of redrawing it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from unreid.data.market1501 import SUBSET_FOLDERS
from unreid.data.synthetic.cameras import Camera, draw_cameras
from unreid.data.synthetic.config import SyntheticConfig
from unreid.data.synthetic.image_rendering import render_image
from unreid.data.synthetic.layout import Job, plan_jobs

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 2
"""Bumped whenever the drawing changes, so cached sets made by older code are redrawn."""

MARKER_NAME = ".complete"
"""File written last into a finished data set root (holds the version and config)."""

_DEFAULT_CONFIG = SyntheticConfig()


def _marker_text(config: SyntheticConfig) -> str:
    return json.dumps({"generator_version": GENERATOR_VERSION,
                       "config": config.to_json()}, sort_keys=True, indent=2)


def _is_cached(root: Path, config: SyntheticConfig) -> bool:
    marker = root / MARKER_NAME
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()) == json.loads(_marker_text(config))
    except (OSError, json.JSONDecodeError):
        return False


def _draw_images(folder: Path, *, jobs: list[Job], cameras: list[Camera], config: SyntheticConfig,
                 started: float) -> None:
    """Render every job into ``folder``, logging progress five times."""
    report_every = max(1, len(jobs) // 5)
    for done, job in enumerate(jobs, start=1):
        camera = cameras[job.camera]
        render_image(job, camera, config).save(folder / job.subset / job.file_name, quality=camera.jpeg_quality)
        if done % report_every == 0:
            logger.info("synthetic pedestrians: %d/%d images (%.1f s)", done, len(jobs), time.perf_counter() - started)


def _move_into_place(partial: Path, *, root: Path, config: SyntheticConfig, overwrite: bool) -> None:
    """Rename the finished ``partial`` folder to ``root``, replacing an older set there."""
    if not overwrite and _is_cached(root, config):  # a concurrent run finished the same set first
        shutil.rmtree(partial)
    elif root.exists():
        retired = root.parent / f".{root.name}.old-{os.getpid()}"
        root.rename(retired)
        partial.rename(root)
        shutil.rmtree(retired)
    else:
        partial.rename(root)


def make_synthetic_pedestrians(*, root: Path, config: SyntheticConfig = _DEFAULT_CONFIG,
                               overwrite: bool = False) -> Path:
    """Draw the data set into ``root`` in the Market-1501 layout and return ``root``.

    The images are written into a sibling temporary folder that is renamed to ``root``
    once complete, so an interrupted run leaves no half-written data set. A finished set
    whose ``.complete`` marker matches ``config`` (and this generator version) is reused.

    Args:
        root: output folder; it must not exist, be empty, or hold an earlier synthetic set
            (which is replaced when its config differs or ``overwrite`` is set).
        config: what to draw.
        overwrite: redraw even when ``root`` already holds this config.

    Returns:
        ``root``.

    Raises:
        ValueError: when ``root`` is a file, or a non-empty folder that is not a synthetic set.
    """
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise ValueError(f"synthetic data root {root} is a file; give a folder path")
    if not overwrite and _is_cached(root, config):
        logger.info("synthetic pedestrians: %s already holds this config, reusing it", root)
        return root
    if root.is_dir() and any(root.iterdir()) and not (root / MARKER_NAME).is_file():
        raise ValueError(
            f"synthetic data root {root} is a non-empty folder without a {MARKER_NAME} marker; "
            "refusing to overwrite it: choose an empty or new folder"
        )
    started = time.perf_counter()
    cameras = draw_cameras(config)
    jobs = plan_jobs(config)
    root.parent.mkdir(parents=True, exist_ok=True)
    partial = root.parent / f".{root.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    for folder in SUBSET_FOLDERS.values():
        (partial / folder).mkdir(parents=True)
    logger.info("synthetic pedestrians: drawing %d images of %d identities in %d cameras into %s",
                len(jobs), config.num_identities, config.num_cameras, root)
    try:
        _draw_images(partial, jobs=jobs, cameras=cameras, config=config, started=started)
        (partial / MARKER_NAME).write_text(_marker_text(config))
        _move_into_place(partial, root=root, config=config, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    logger.info("synthetic pedestrians: wrote %s in %.1f s", root, time.perf_counter() - started)
    return root
