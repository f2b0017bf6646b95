"""The clustering sweeps reuse one Jaccard per k1 (one kNN graph per k for Infomap): each row equals a direct call."""

from __future__ import annotations

import pytest

from unreid.clustering.infomap_clustering import cluster_features_infomap
from unreid.clustering.label_quality import label_quality
from unreid.clustering.parameter_sweep import ClusteringGrid, sweep_clustering, sweep_infomap
from unreid.clustering.pseudo_labels import ClusteringSettings, cluster_features


def test_rows_equal_direct_clustering(make_clustered) -> None:  # type: ignore[no-untyped-def]
    feats, ids = make_clustered(n=200, num_ids=12, dim=16, seed=3)
    cams = (ids % 3).tolist()
    grid = ClusteringGrid(k1_values=[8, 15], eps_values=[0.3, 0.5], min_samples_values=[2, 4], k2=3,
                          auto_rho_values=[0.02])
    rows = sweep_clustering(feats, grid, truth=ids.tolist(), cameras=cams)
    assert len(rows) == 2 * (2 + 1) * 2
    for row in rows:
        settings = ClusteringSettings(k1=int(row["k1"]), k2=3, eps=row["eps"], min_samples=int(row["min_samples"]))
        direct = cluster_features(feats, settings)
        assert row["clusters"] == direct.num_clusters and row["outliers"] == direct.num_outliers
        assert row["f_score"] == pytest.approx(label_quality(direct.labels, ids)["f_score"])
    auto = [r for r in rows if r["rho"] > 0]
    direct = cluster_features(feats, ClusteringSettings(k1=8, k2=3, min_samples=2, auto_eps_rho=0.02))
    assert auto[0]["eps"] == pytest.approx(direct.eps, abs=1e-4)


def test_eps_out_of_range(make_clustered) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="eps"):
        ClusteringGrid(k1_values=[5], eps_values=[1.2], min_samples_values=[2])


def test_infomap_rows_equal_direct_clustering(make_clustered) -> None:  # type: ignore[no-untyped-def]
    feats, ids = make_clustered(n=120, num_ids=8, dim=16, seed=2)
    rows = sweep_infomap(feats, k_values=[5, 10], min_similarity_values=[0.3, 0.8], min_size_values=[2, 5],
                         truth=ids.tolist(), cameras=(ids % 3).tolist())
    assert len(rows) == 2 * 2 * 2
    for row in rows:
        direct = cluster_features_infomap(feats, k=int(row["k"]), min_similarity=row["min_similarity"],
                                          min_size=int(row["min_size"]))
        assert row["clusters"] == direct.num_clusters and row["outliers"] == direct.num_outliers
        assert row["f_score"] == pytest.approx(label_quality(direct.labels, ids)["f_score"])
