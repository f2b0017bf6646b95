"""Pseudo-labels by Infomap on a kNN similarity graph, the alternative to Jaccard + DBSCAN.

Every image links to its ``k`` nearest neighbours whose cosine similarity reaches
``min_similarity``, weighted by that similarity; Infomap (Rosvall & Bergstrom, PNAS 2008: the
partition that minimises the description length of a random walk on the graph) splits the graph
into modules. Modules smaller than ``min_size`` and images with no link are outliers (-1), as
DBSCAN's noise. Cluster Contrast reports this clusterer above DBSCAN (Market-1501 +0.9 mAP,
MSMT17 +3.6). Needs the ``infomap`` package (``pip install 'unreid[infomap]'``).
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.dbscan import NOISE
from unreid.clustering.knn import KnnBackend, knn
from unreid.clustering.pseudo_labels import PseudoLabels

logger = logging.getLogger(__name__)

INSTALL_HINT = "cluster.algorithm=infomap needs the infomap package: pip install 'unreid[infomap]' (or pip install infomap)"


def similarity_graph(features: Tensor, *, k: int, min_similarity: float,
                     knn_backend: KnnBackend | str = KnnBackend.AUTO) -> tuple[Tensor, Tensor, Tensor]:
    """The kNN links of ``features [N, D]``: ``(sources [E], targets [E], weights [E])`` on the CPU.

    Each row links to its ``k`` nearest other rows (self excluded) whose cosine similarity is at
    least ``min_similarity``; the weight is that similarity. A pair found from both ends appears twice
    (Infomap sums the weights of an undirected pair).
    """
    if not 0.0 <= min_similarity <= 1.0:
        raise ValueError(f"min_similarity={min_similarity} must be in [0, 1]")
    n = features.shape[0]
    similarities, indices = knn(F.normalize(features.float(), dim=1), k=min(k + 1, n), backend=knn_backend)  # [N, k+1]
    similarities, indices = similarities[:, 1:].cpu(), indices[:, 1:].cpu()  # [N, k]: self dropped
    sources = torch.arange(n).unsqueeze(1).expand_as(indices)  # [N, k]
    keep = similarities >= min_similarity  # [N, k]
    return sources[keep], indices[keep], similarities[keep]  # [E] each


def infomap_labels(num_nodes: int, sources: Tensor, targets: Tensor, weights: Tensor, *,
                   min_size: int = 2, seed: int = 0) -> Tensor:
    """Infomap modules of an undirected weighted graph as ``[num_nodes]`` int64 labels.

    Modules are numbered in the order of their smallest node; nodes without links and modules
    smaller than ``min_size`` are ``-1``. A fixed ``seed`` gives the same modules on every call.
    """
    try:
        import infomap
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    if sources.numel() == 0:
        return torch.full((num_nodes,), NOISE, dtype=torch.int64)  # [N]
    # two-level modules on the undirected graph; Infomap's seeds start at 1
    solver = infomap.Infomap(f"--two-level --silent --num-trials 1 --seed {seed + 1}")
    solver.add_links(zip(sources.tolist(), targets.tolist(), weights.tolist()))
    solver.run()
    modules = torch.full((num_nodes,), NOISE, dtype=torch.int64)  # [N]
    for node, module in _read_modules(solver).items():
        modules[node] = module
    ids, counts = torch.unique(modules[modules != NOISE], return_counts=True)  # [M], [M]
    kept = set(ids[counts >= min_size].tolist())
    order: dict[int, int] = {}  # module -> label, in the order of each module's smallest node
    for module in modules.tolist():
        if module in kept and module not in order:
            order[module] = len(order)
    labels = torch.tensor([order.get(module, NOISE) for module in modules.tolist()], dtype=torch.int64)  # [N]
    return labels


def _read_modules(solver: Any) -> dict[int, int]:
    """Node -> module of a finished run, read from the ``.clu`` file Infomap writes. Not through its Python
    iterators: those are SWIG proxies that crash (segmentation fault) once faiss, another SWIG module, is loaded."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "modules.clu"
        solver.write_clu(str(path))
        lines = path.read_text(encoding="utf-8").splitlines()
    rows = (line.split() for line in lines if line.strip() and not line.startswith("#"))
    return {int(row[0]): int(row[1]) for row in rows}  # node_id module flow


def cluster_features_infomap(features: Tensor, *, k: int = 15, min_similarity: float = 0.6, min_size: int = 2,
                             seed: int = 0, knn_backend: KnnBackend | str = KnnBackend.AUTO) -> PseudoLabels:
    """Infomap pseudo-labels of ``features [N, D]`` (any device; labels on the same device).

    Every clustered image counts as a core point (Infomap has no density notion). Timings:
    ``"knn"`` (the graph) and ``"infomap"``.
    """
    device = features.device
    start = time.perf_counter()
    sources, targets, weights = similarity_graph(features, k=k, min_similarity=min_similarity, knn_backend=knn_backend)
    middle = time.perf_counter()
    labels = infomap_labels(features.shape[0], sources, targets, weights, min_size=min_size, seed=seed)  # [N]
    end = time.perf_counter()
    num_clusters = int(labels.max()) + 1 if labels.numel() else 0
    num_outliers = int((labels == NOISE).sum())
    logger.info("clustered %d samples (Infomap, k %d, similarity >= %.2f, %d links): %d clusters, %d outliers; "
                "knn %.2fs, infomap %.2fs", features.shape[0], k, min_similarity, sources.numel(), num_clusters,
                num_outliers, middle - start, end - middle)
    return PseudoLabels(labels=labels.to(device), num_clusters=num_clusters, num_outliers=num_outliers,
                        timings={"knn": middle - start, "infomap": end - middle}, core=(labels >= 0).to(device),
                        eps=min_similarity)
