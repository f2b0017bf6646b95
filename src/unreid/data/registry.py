"""Load a data set by name: ``market1501``, ``msmt17``, ``folder`` or ``synthetic``."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from unreid.data.records import ReIDSplit

logger = logging.getLogger(__name__)

DATASET_NAMES = ("market1501", "msmt17", "folder", "synthetic")
"""Names accepted by :func:`load_dataset`."""


def _no_options(name: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise ValueError(f"data set {name!r} takes no options, but got {sorted(kwargs)}; remove them")


def load_dataset(name: str, root: Path, **kwargs: Any) -> ReIDSplit:
    """Return the split of data set ``name`` stored under ``root``.

    Args:
        name: one of :data:`DATASET_NAMES`.
        root: the data set folder. For ``folder`` it is the training folder; for
            ``synthetic`` it is where the generated Market-1501-style tree is written
            (generation is skipped or redone as :mod:`unreid.data.synthetic` decides).
        **kwargs: ``folder`` takes ``pattern`` (required), ``query`` and ``gallery``
            (see :func:`unreid.data.folder.load_folder`); ``synthetic`` passes them to
            :func:`unreid.data.synthetic.make_synthetic_pedestrians`; the others take none.

    Raises:
        ValueError: for an unknown name, unexpected options, or a bad data set tree.
    """
    root = Path(root).expanduser()
    if name == "market1501":
        from unreid.data.market1501 import load_market1501

        _no_options(name, kwargs)
        return load_market1501(root)
    if name == "msmt17":
        from unreid.data.msmt17 import load_msmt17

        _no_options(name, kwargs)
        return load_msmt17(root)
    if name == "folder":
        from unreid.data.folder import load_folder

        unexpected = set(kwargs) - {"pattern", "query", "gallery"}
        if unexpected or "pattern" not in kwargs:
            raise ValueError(
                f"data set 'folder' needs pattern= and optionally query= and gallery=; got {sorted(kwargs)}"
            )
        return load_folder(train=root, **kwargs)
    if name == "synthetic":
        from unreid.data.market1501 import load_market1501
        from unreid.data.synthetic import make_synthetic_pedestrians

        make_synthetic_pedestrians(root=root, **kwargs)
        return dataclasses.replace(load_market1501(root), name="synthetic")
    raise ValueError(f"unknown data set {name!r}; valid names: {', '.join(DATASET_NAMES)}")
