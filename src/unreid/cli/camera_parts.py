"""Switch off the camera-aware parts of a recipe when the training crops carry fewer than two cameras.

A collection of one's own crops often has no camera ids (``img_00000.jpg``), and then
every image is camera 0: the camera-entropy weight, camera centering, the camera-aware
sampler, other-camera positives and the camera-style generator have nothing to work with.
Rather than refusing the run or letting those options do nothing in silence, the run goes
on without them and says so in one log line.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

from unreid.config.schema import RunConfig
from unreid.data.records import Record
from unreid.generator.generator_kind import GeneratorKind
from unreid.losses.multilevel_contrastive import PositivePool

logger = logging.getLogger(__name__)


def switch_off_camera_parts(config: RunConfig, *, train_records: Sequence[Record]) -> tuple[RunConfig, list[str]]:
    """The configuration without its camera-aware parts when ``train_records`` span fewer than 2 cameras.

    Args:
        config: the requested configuration (not modified).
        train_records: the training set.

    Returns:
        The configuration to run (a copy when anything changed) and the ``key=value``
        settings that were switched off (empty with 2 or more cameras).
    """
    cameras = len({r.camera_id for r in train_records})
    if cameras >= 2:
        return config, []
    run = copy.deepcopy(config)
    switched: list[str] = []
    if run.loss.camera_entropy_weight:
        run.loss.camera_entropy_weight = False
        switched.append("loss.camera_entropy_weight=false")
    if run.loss.positive_pool is PositivePool.OTHER_CAMERA:
        run.loss.positive_pool = PositivePool.ALL
        switched.append("loss.positive_pool=all")
    if run.cluster.camera_centering:
        run.cluster.camera_centering = False
        switched.append("cluster.camera_centering=false")
    if run.train.camera_aware:
        run.train.camera_aware = False
        switched.append("train.camera_aware=false")
    if run.generator.enabled and run.generator.kind is not GeneratorKind.NONE:
        run.generator.enabled = False
        switched.append("generator.enabled=false")
    if switched:
        logger.warning("the training crops under data.root=%r carry %d camera id (cameras unknown or a single "
                       "camera): camera-aware parts switched off: %s; give cameras (cam1/ folders, or "
                       "data.folder_pattern with a cam group) to use them", config.data.root, cameras,
                       ", ".join(switched))
    return (run if switched else config), switched
