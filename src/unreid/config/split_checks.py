"""Checks of the clustering settings against the parsed training set, before any image is decoded.

Without them a data set of one person, or ``cluster.k1`` above the number of images,
surfaces only after decoding and a full feature extraction, as "DBSCAN found 1
cluster(s): lower cluster.eps", which blames the wrong setting.
"""

from __future__ import annotations

import logging

from unreid.config.schema import RunConfig
from unreid.data.records import ReIDSplit

logger = logging.getLogger(__name__)


def split_problems(config: RunConfig, split: ReIDSplit) -> list[str]:
    """Every conflict between ``config.cluster`` and ``split.train``, one sentence each (empty: none)."""
    problems = []
    n = len(split.train)
    k1 = config.cluster.k1
    if n and k1 >= n:
        problems.append(
            f"cluster.k1={k1}: the k-reciprocal neighbours need k1 below the number of training images, but "
            f"data.root={config.data.root!r} has {n}; set cluster.k1 to at most {n - 1} (or add images)"
        )
    people = {record.person_id for record in split.train}
    if n and min(people) >= 0 and len(people) < 2:
        problems.append(
            f"data.root={config.data.root!r}: all {n} training images carry one person id ({people.pop()}); "
            "clustering needs images of many people: check the data set (or the pid group of "
            "data.folder_pattern)"
        )
    return problems
