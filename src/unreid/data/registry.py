"""Load a data set by name: ``market1501``, ``msmt17``, ``folder`` or ``synthetic``.

The names, their loaders and the options each accepts live in one table,
:data:`DATASETS`; :data:`DATASET_NAMES`, :func:`load_dataset` and the config validator all
read it, so adding a data set is one entry here instead of an edit in every place that
lists the names.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unreid.data.folder import load_folder
from unreid.data.market1501 import load_market1501
from unreid.data.msmt17 import load_msmt17
from unreid.data.records import ReIDSplit
from unreid.data.synthetic import make_synthetic_pedestrians

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetEntry:
    """How to load one data set.

    Attributes:
        load: ``load(root, **options)`` returns the split.
        required: options that must be given.
        optional: options that may be given.
        reads_existing_root: ``root`` must already be a data set folder (``synthetic``
            writes its own).
    """

    load: Callable[..., ReIDSplit]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    reads_existing_root: bool = True

    def check_options(self, name: str, options: dict[str, Any]) -> None:
        """Raise ``ValueError`` naming what ``name`` accepts when ``options`` do not fit."""
        unexpected = set(options) - set(self.required) - set(self.optional)
        missing = [key for key in self.required if key not in options]
        if not unexpected and not missing:
            return
        if not self.required and not self.optional:
            raise ValueError(f"data set {name!r} takes no options, but got {sorted(options)}; remove them")
        accepts = []
        if self.required:
            accepts.append("needs " + " and ".join(f"{key}=" for key in self.required))
        if self.optional:
            accepts.append(("and optionally " if self.required else "takes only ")
                           + " and ".join(f"{key}=" for key in self.optional))
        raise ValueError(f"data set {name!r} {' '.join(accepts)}; got {sorted(options)}")


def _load_synthetic(root: Path, **options: Any) -> ReIDSplit:
    make_synthetic_pedestrians(root=root, **options)
    return dataclasses.replace(load_market1501(root), name="synthetic")


def _load_folder(root: Path, **options: Any) -> ReIDSplit:
    return load_folder(train=root, **options)


DATASETS: dict[str, DatasetEntry] = {
    "market1501": DatasetEntry(load=load_market1501),
    "msmt17": DatasetEntry(load=load_msmt17),
    "folder": DatasetEntry(load=_load_folder, optional=("pattern", "layout", "camera_level", "query", "gallery")),
    "synthetic": DatasetEntry(load=_load_synthetic, optional=("config", "overwrite"), reads_existing_root=False),
}
"""Every data set :func:`load_dataset` knows, by name."""

DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)
"""Names accepted by :func:`load_dataset` (the keys of :data:`DATASETS`)."""


def load_dataset(name: str, root: Path, **kwargs: Any) -> ReIDSplit:
    """Return the split of data set ``name`` stored under ``root``.

    Args:
        name: one of :data:`DATASET_NAMES`.
        root: the data set folder. For ``folder`` it is the training folder; for
            ``synthetic`` it is where the generated Market-1501-style tree is written
            (generation is skipped or redone as :mod:`unreid.data.synthetic` decides).
        **kwargs: ``folder`` takes ``pattern`` (required), ``query`` and ``gallery``
            (see :func:`unreid.data.folder.load_folder`); ``synthetic`` takes ``config`` and
            ``overwrite`` (see :func:`unreid.data.synthetic.make_synthetic_pedestrians`); the
            others take none.

    Raises:
        ValueError: for an unknown name, unexpected options, or a bad data set tree.
    """
    entry = DATASETS.get(name)
    if entry is None:
        raise ValueError(f"unknown data set {name!r}; valid names: {', '.join(DATASET_NAMES)}")
    entry.check_options(name, kwargs)
    return entry.load(Path(root).expanduser(), **kwargs)
