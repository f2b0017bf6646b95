"""DBSCAN over a precomputed (sparse or dense) distance matrix, vectorised in torch.

Ester et al., "A Density-Based Algorithm for Discovering Clusters in Large Spatial
Databases with Noise", KDD 1996, with the exact conventions of scikit-learn's
``DBSCAN(metric="precomputed")``, so the labels are *identical* to sklearn's (same ids,
not only the same partition):

* ``j`` is a neighbour of ``i`` when ``D[i, j] <= eps`` (compared in the distances' dtype, as
  NumPy >= 2 does for sklearn on a float32 matrix); the neighbourhood of ``i`` includes
  ``i`` itself when ``D[i, i] <= eps`` (always for a zero diagonal);
* ``i`` is a core point when it has at least ``min_samples`` neighbours;
* clusters are the connected components of the core points (core-to-core edges).
  sklearn's ``dbscan_inner`` scans points in index order and starts a new cluster at each
  still-unlabelled core point, so cluster ``c`` is the component whose smallest core index
  is the ``c``-th smallest: here each component is found by min-label propagation with
  pointer jumping (its label converges to its smallest index), and components are numbered
  by that index;
* a non-core point adjacent to core points of several clusters: sklearn's depth-first
  expansion of a cluster labels every unlabelled point adjacent to one of its core points,
  and clusters are expanded one after the other in id order, so the point keeps the label
  of the *first* expanded cluster, i.e. the smallest id among its core neighbours' clusters
  (independent of the order inside one expansion). Here: a ``scatter_reduce("amin")``;
* everything else is noise, ``-1``.

The matrix must be symmetric (as distances are); with an asymmetric matrix sklearn's
result depends on its traversal order.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor

from unreid.clustering.sparse_distances import MISSING_DISTANCE, SparseDistances

logger = logging.getLogger(__name__)

NOISE = -1
"""Label of points in no cluster."""


def dbscan(distances: SparseDistances | Tensor, *, eps: float = 0.6, min_samples: int = 4) -> Tensor:
    """Cluster ids (``0..C-1``, noise ``-1``) as sklearn's ``DBSCAN(metric="precomputed")`` gives them
    (see :func:`dbscan_with_core` for the arguments)."""
    return dbscan_with_core(distances, eps=eps, min_samples=min_samples)[0]


def dbscan_with_core(
    distances: SparseDistances | Tensor, *, eps: float = 0.6, min_samples: int = 4
) -> tuple[Tensor, Tensor]:
    """:func:`dbscan`'s labels, and which samples are core points (the confident members of
    their clusters: at least ``min_samples`` neighbours within ``eps``, self included).

    Args:
        distances: :class:`SparseDistances` (unstored pairs at distance 1), or a dense
            symmetric ``[N, N]`` tensor.
        eps: neighbourhood radius (``D <= eps``). For sparse input it must be below 1 and
            at most ``distances.max_distance``, so that no unstored pair is a neighbour.
        min_samples: neighbours (self included) that make a core point.

    Returns:
        ``[N]`` int64 labels and ``[N]`` bool core flags, on the distances' device.

    Raises:
        ValueError: for ``eps < 0``, ``min_samples < 1``, ``eps >= 1`` with sparse input, a
            non-square dense matrix or an asymmetric eps-neighbourhood graph.
    """
    if eps < 0:
        raise ValueError(f"eps={eps} must be >= 0")
    if min_samples < 1:
        raise ValueError(f"min_samples={min_samples} must be >= 1")
    source, target, n = _eps_edges(distances, eps=eps)  # [E], [E]
    device = source.device
    counts = torch.bincount(source, minlength=n)  # [N]
    core = counts >= min_samples  # [N]

    both_core = core[source] & core[target]  # [E]
    root = min_index_components(source[both_core], target[both_core], n=n)  # [N]
    labels = torch.full((n,), NOISE, dtype=torch.long, device=device)  # [N]
    core_roots = root[core]  # [K]
    cluster_roots = torch.unique(core_roots)  # [C] ascending = sklearn's cluster order
    labels[core] = torch.searchsorted(cluster_roots, core_roots)
    num_clusters = cluster_roots.numel()

    to_border = core[source] & ~core[target]  # [E] core -> non-core edges
    first = torch.full((n,), num_clusters, dtype=torch.long, device=device)  # [N] C = "none"
    first.scatter_reduce_(0, target[to_border], labels[source[to_border]], reduce="amin")
    border = ~core & (first < num_clusters)  # [N]
    labels[border] = first[border]
    logger.debug(
        "dbscan: %d clusters, %d core, %d border, %d noise points",
        num_clusters,
        int(core.sum()),
        int(border.sum()),
        int((labels == NOISE).sum()),
    )
    return labels, core


def _eps_edges(distances: SparseDistances | Tensor, *, eps: float) -> tuple[Tensor, Tensor, int]:
    """``(source, target, n)``: all ordered pairs with ``D[source, target] <= eps``."""
    if isinstance(distances, SparseDistances):
        if eps >= MISSING_DISTANCE or eps > distances.max_distance:
            raise ValueError(
                f"eps={eps} must be < {MISSING_DISTANCE} and <= max_distance={distances.max_distance} with "
                f"SparseDistances (unstored pairs may lie at any distance above max_distance or at "
                f"{MISSING_DISTANCE}); pass the dense matrix instead"
            )
        within = distances.values <= eps  # [E]
        return distances.rows[within], distances.cols[within], distances.n
    if distances.dim() != 2 or distances.shape[0] != distances.shape[1]:
        raise ValueError(f"dense distances must be square [N, N], got shape {tuple(distances.shape)}")
    adjacency = distances <= eps  # [N, N]
    if not torch.equal(adjacency, adjacency.T):
        raise ValueError("the eps-neighbourhood graph is not symmetric; DBSCAN needs symmetric distances")
    source, target = adjacency.nonzero().unbind(1)  # [E], [E]
    return source, target, distances.shape[0]


def min_index_components(source: Tensor, target: Tensor, *, n: int) -> Tensor:
    """Connected components of an undirected graph: each node's smallest node index in its component.

    Min-label hooking with pointer jumping (in the spirit of Shiloach & Vishkin, "An
    O(log n) Parallel Connectivity Algorithm", J. Algorithms 1982): every tree root adopts
    the smallest root across any edge, then paths are compressed until every node points
    at a root. Pointers only ever decrease, so the root of a component is its minimum.

    Args:
        source: ``[E]`` int64 edge ends.
        target: ``[E]`` int64 other edge ends.
        n: number of nodes.

    Returns:
        ``[n]`` int64 component representative (its smallest node index) of every node.
    """
    parent = torch.arange(n, device=source.device)  # [N]
    rounds = 0
    while source.numel() > 0:
        rounds += 1
        ps, pt = parent[source], parent[target]  # [E]  roots of both ends
        hooked = parent.scatter_reduce(0, ps, pt, reduce="amin").scatter_reduce_(0, pt, ps, reduce="amin")  # [N]
        while True:  # pointer jumping
            jumped = hooked[hooked]  # [N]
            if torch.equal(jumped, hooked):
                break
            hooked = jumped
        if torch.equal(hooked, parent):
            break
        parent = hooked
    logger.debug("connected components: %d hooking rounds", rounds)
    return parent
