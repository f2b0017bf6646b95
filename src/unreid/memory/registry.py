"""Memories by name (``loss.instance_memory``): what each epoch's loss compares the queries with.

Every epoch the trainer asks :func:`build_memory` for a fresh memory made from that epoch's
features and pseudo-labels. A memory is a :class:`ClusterMemory` (centroids, plus the
instance features the intra and inter levels search); another kind is one module with a
function decorated by :func:`register_memory`. ``all`` (the default) keeps one momentum
feature per image; ``per_cluster`` keeps HHCL's ``K`` overwritten features per cluster.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from torch import Tensor

from unreid.memory.cluster_memory import ClusterMemory
from unreid.memory.per_cluster_instances import PerClusterInstanceMemory
from unreid.registry import Registry

if TYPE_CHECKING:
    from unreid.config.schema import LossConfig

logger = logging.getLogger(__name__)


class MemoryFactory(Protocol):
    def __call__(self, *, features: Tensor, labels: Tensor, num_clusters: int, core: Tensor | None,
                 cameras: Tensor | None, options: LossConfig) -> ClusterMemory:
        """A memory of ``features [N, D]`` with pseudo-labels ``labels [N]`` (``-1``: outlier), DBSCAN ``core [N]``
        points and camera ids ``cameras [N]``, configured by the ``loss`` section."""


MEMORIES: Registry[MemoryFactory] = Registry("memory", option="loss.instance_memory")
"""Every memory kind by name."""

register_memory = MEMORIES.register


@register_memory("all")
def all_instances(*, features: Tensor, labels: Tensor, num_clusters: int, core: Tensor | None,
                  cameras: Tensor | None, options: LossConfig) -> ClusterMemory:
    """One momentum-updated feature per clustered training image (``loss.momentum``, ``loss.instance_momentum``)."""
    return ClusterMemory(features=features, labels=labels, num_clusters=num_clusters, momentum=options.momentum,
                         instance_momentum=options.instance_momentum, core=core, cameras=cameras)


@register_memory("per_cluster")
def per_cluster(*, features: Tensor, labels: Tensor, num_clusters: int, core: Tensor | None,
                cameras: Tensor | None, options: LossConfig) -> ClusterMemory:
    """HHCL: ``loss.instances_per_cluster`` features per cluster, overwritten by each batch."""
    return PerClusterInstanceMemory(features=features, labels=labels, num_clusters=num_clusters,
                                    instances_per_cluster=options.instances_per_cluster, momentum=options.momentum,
                                    instance_momentum=options.instance_momentum, core=core, cameras=cameras)


def build_memory(name: str, *, features: Tensor, labels: Tensor, num_clusters: int, core: Tensor | None = None,
                 cameras: Tensor | None = None, options: LossConfig) -> ClusterMemory:
    """The memory registered as ``name``; ``ValueError`` lists the registered names."""
    return MEMORIES[name](features=features, labels=labels, num_clusters=num_clusters, core=core, cameras=cameras,
                          options=options)


def memory_names() -> tuple[str, ...]:
    """The names ``loss.instance_memory`` accepts."""
    return MEMORIES.names()
