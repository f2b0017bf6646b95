"""The configured data set as records: parsed file names, no pixels decoded yet."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from unreid.config.schema import DataConfig, RunConfig
from unreid.config.validation import validate_split
from unreid.data.records import ReIDSplit

logger = logging.getLogger(__name__)


def load_split(data: DataConfig) -> ReIDSplit:
    """The data set of the ``data`` section, through :func:`unreid.data.registry.load_dataset`."""
    from unreid.data.registry import load_dataset

    options: dict[str, Any] = {}
    if data.dataset == "synthetic":
        from unreid.data.synthetic import SyntheticConfig

        options["config"] = SyntheticConfig(num_identities=data.synthetic_identities, seed=data.synthetic_seed,
                                            camera_strength=data.synthetic_camera_strength)
    elif data.dataset == "folder":
        options = {"pattern": data.folder_pattern, "layout": data.folder_layout,
                   "camera_level": data.folder_camera_level,
                   "query": Path(data.folder_query) if data.folder_query else None,
                   "gallery": Path(data.folder_gallery) if data.folder_gallery else None}
    return load_dataset(data.dataset, Path(data.root).expanduser(), **options)


def load_training_split(config: RunConfig, *, validate: bool = True) -> ReIDSplit:
    """The configured split, cut to ``data.max_train_images``, checked against the config unless ``validate=False``
    (then the caller runs :func:`~unreid.config.validation.validate_split`)."""
    split = load_split(config.data)
    if config.data.max_train_images > 0:
        # File order: Market-1501 and the synthetic set name files by identity, so this keeps whole identities.
        split = ReIDSplit(split.name, split.train[: config.data.max_train_images], split.query, split.gallery,
                          root=split.root, notes=split.notes)
    logger.info("\n%s", split.summary())
    if validate:
        validate_split(config, split)
    return split
