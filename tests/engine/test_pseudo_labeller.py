"""The clustering labeller: cluster.algorithm picks the clusterer, and a failure hint names its own settings."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from unreid.clustering.cluster_algorithm import ClusterAlgorithm
from unreid.config.schema import ClusterConfig
from unreid.data.records import Record
from unreid.engine.pseudo_labeller import ClusteringLabeller


def _groups(groups: int = 4, per_group: int = 8) -> tuple[torch.Tensor, list[Record]]:
    generator = torch.Generator().manual_seed(1)
    centres = F.normalize(torch.randn(groups, 32, generator=generator), dim=1)  # [G, D]
    features = centres.repeat_interleave(per_group, 0) + 0.03 * torch.randn(groups * per_group, 32, generator=generator)
    records = [Record(Path(f"{i}.jpg"), person_id=i // per_group, camera_id=i % 3) for i in range(groups * per_group)]
    return F.normalize(features, dim=1), records  # [G*P, D]


def test_both_algorithms_find_separated_people_and_report_label_quality() -> None:
    features, records = _groups()
    for algorithm in ClusterAlgorithm:
        cluster = ClusterConfig(algorithm=algorithm, k1=8, k2=2, eps=0.6, min_samples=2, infomap_k=5)
        labels = ClusteringLabeller(cluster)(features, records, epoch=0)
        assert int(labels.labels.max()) + 1 == 4, algorithm
        assert labels.diagnostics["pl_precision"] == 1.0 and labels.diagnostics["pl_recall"] == 1.0, algorithm
    infomap = ClusteringLabeller(ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP, infomap_k=5))(features, records, 0)
    assert set(infomap.timings) == {"knn", "infomap"}


def test_infomap_settings_change_the_labels() -> None:
    features, records = _groups()
    loose = ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP, infomap_k=5, infomap_min_similarity=0.5)
    assert int((ClusteringLabeller(loose)(features, records, 0).labels >= 0).sum()) == len(records)
    strict = ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP, infomap_k=5, infomap_min_similarity=1.0)
    assert int((ClusteringLabeller(strict)(features, records, 0).labels >= 0).sum()) == 0
    large = ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP, infomap_k=5, infomap_min_size=9)  # groups hold 8
    assert int((ClusteringLabeller(large)(features, records, 0).labels >= 0).sum()) == 0


def test_failure_hint_names_the_settings_of_the_algorithm_in_use() -> None:
    features, records = _groups()
    infomap = ClusteringLabeller(ClusterConfig(algorithm=ClusterAlgorithm.INFOMAP, infomap_min_similarity=0.9))
    hint = infomap.failure_hint(features, records, epoch=0, num_outliers=32, lr=3.5e-4)
    assert "cluster.infomap_min_similarity (now 0.9)" in hint and "32 of 32" in hint
    dbscan = ClusteringLabeller(ClusterConfig()).failure_hint(features, records, epoch=0, num_outliers=32, lr=3.5e-4)
    assert "infomap" not in dbscan and "eps" in dbscan
