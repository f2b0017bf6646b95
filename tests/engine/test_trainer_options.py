"""Every accuracy option set through the configuration reaches its component and has its effect (tiny runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import Tensor

import unreid.engine.batch_samplers as batch_samplers
import unreid.engine.pseudo_labeller as pseudo_labeller
from unreid.cli.train_run import run_training
from unreid.config.loader import load_config
from unreid.data.pk_sampler import PKSampler
from unreid.engine.run_log import read_metrics
from unreid.memory.cluster_memory import ClusterMemory

TinyRun = Callable[..., list[str]]


def _run(overrides: list[str]) -> list[dict[str, Any]]:
    outcome = run_training(load_config(overrides=overrides), progress=False)
    return read_metrics(outcome.run_dir)


@pytest.mark.slow
def test_all_options_together(tiny_run: TinyRun, tmp_path: Path) -> None:
    rows = _run(tiny_run("all", "train.save_features=true", "train.camera_aware=true", "cluster.camera_centering=true",
                         "cluster.eps_policy=auto", "cluster.auto_rho=0.02", "loss.intra_mode=centroid",
                         "loss.inter_mode=query", "loss.positive_pool=core", "loss.ramp_start=1", "loss.ramp_epochs=0"))
    assert [r["level_scale"] for r in rows] == [0.0, 1.0]
    fixed_eps = load_config(overrides=tiny_run("all")).cluster.eps
    for row in rows:
        assert row["eps"] != fixed_eps  # eps_policy=auto derived it from the data
        assert row["size_max"] == row["size_top0"] and "pl_false_merge_same_camera" in row and "mAP" in row
    features = np.load(tmp_path / "all" / "features" / "epoch_001.npy")
    assert features.dtype == np.float16 and (tmp_path / "all" / "features" / "records.tsv").is_file()


@pytest.mark.slow
def test_same_seed_runs_are_bit_identical(tiny_run: TinyRun) -> None:
    histories = [[{k: v for k, v in r.items() if not k.startswith("time_")} for r in
                  _run(tiny_run(name, "loss.positive_pool=batch"))] for name in ("first", "second")]
    assert histories[0] == histories[1]


@pytest.mark.slow
def test_camera_aware_batches_span_more_cameras(tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch) -> None:
    spans: dict[bool, list[int]] = {True: [], False: []}

    class Recording(PKSampler):
        def batches(self, num_batches: int) -> Any:
            for batch in super().batches(num_batches):
                groups = np.asarray(batch).reshape(-1, self.k)  # [P, K]: K images of one pseudo-identity
                spans[self.cameras is not None] += [len(set(cams[g].tolist())) for g in groups]
                yield batch

    monkeypatch.setattr(batch_samplers, "PKSampler", Recording)  # what the "pk" sampler constructs
    for aware in (False, True):
        cams = _cameras(tiny_run)
        _run(tiny_run(f"aware_{aware}", f"train.camera_aware={str(aware).lower()}", "train.iterations=6"))
    assert spans[True] and spans[False]
    assert np.mean(spans[True]) > np.mean(spans[False])


def _cameras(tiny_run: TinyRun) -> np.ndarray:
    from unreid.cli.dataset_loading import load_training_split

    return np.array([r.camera_id for r in load_training_split(load_config(overrides=tiny_run("cams"))).train])


@pytest.mark.slow
def test_camera_centering_clusters_features_with_zero_camera_means(tiny_run: TinyRun,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[bool, list[float]] = {True: [], False: []}
    original = pseudo_labeller.cluster_features
    centred = False

    def spy(features: Tensor, *args: Any, **kwargs: Any) -> Any:
        cams = torch.from_numpy(_cameras(tiny_run))  # [N]
        worst = max(float(features[cams == c].mean(0).norm()) for c in cams.unique())
        seen[centred].append(worst)
        return original(features, *args, **kwargs)

    monkeypatch.setattr(pseudo_labeller, "cluster_features", spy)
    for centred in (False, True):
        _run(tiny_run(f"centred_{centred}", f"cluster.camera_centering={str(centred).lower()}", "train.epochs=1"))
    # centred then re-normalised: each camera's mean shrinks from the shared offset to what re-normalising leaves
    assert max(seen[True]) < 0.5 * min(seen[False])


@pytest.mark.slow
def test_intra_mode_centroid_takes_the_boundary_member_not_the_query_extreme(
        tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name in ("instance_extremes", "boundary_similarities"):
        original = getattr(ClusterMemory, name)

        def spy(self: ClusterMemory, *args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(ClusterMemory, name, spy)
    _run(tiny_run("query", "loss.inter=false", "train.epochs=1"))
    assert set(calls) == {"instance_extremes"}
    calls.clear()
    _run(tiny_run("centroid", "loss.inter=false", "loss.intra_mode=centroid", "train.epochs=1"))
    assert set(calls) == {"boundary_similarities"}


@pytest.mark.slow
def test_positive_pool_core_never_picks_a_non_core_positive(tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch) -> None:
    picked_core: dict[str, list[bool]] = {"all": [], "core": []}
    pool = "all"
    original = ClusterMemory.instance_extremes

    def spy(self: ClusterMemory, queries: Tensor, labels: Tensor, **kwargs: Any) -> tuple[Tensor, Tensor]:
        farthest, hardest = original(self, queries, labels, **kwargs)
        sims = queries @ self.instances.t()  # [B, N]
        for b in range(queries.shape[0]):
            members = (self.instance_labels == labels[b]).nonzero().squeeze(1)  # [M]
            at = members[(sims[b, members] - farthest[b]).abs() < 1e-6]  # the instance(s) picked as positive
            if at.numel() and not self.core[members].all():  # clusters that hold a non-core member
                picked_core[pool].append(bool(self.core[at].all()))
        return farthest, hardest

    monkeypatch.setattr(ClusterMemory, "instance_extremes", spy)
    for pool in ("all", "core"):
        _run(tiny_run(f"pool_{pool}", f"loss.positive_pool={pool}", "cluster.min_samples=5", "cluster.eps=0.6",
                      "train.epochs=1"))  # clusters with border (non-core) members
    assert picked_core["core"] and all(picked_core["core"])
    assert not all(picked_core["all"])  # without the option a non-core member is sometimes the farthest


@pytest.mark.slow
def test_infomap_makes_the_pseudo_labels_of_a_run(tiny_run: TinyRun) -> None:
    rows = _run(tiny_run("infomap", "cluster.algorithm=infomap", "cluster.infomap_k=10"))
    for row in rows:
        assert "time_infomap" in row and "time_dbscan" not in row  # Infomap, not DBSCAN, made the labels
        assert row["clusters"] >= 2 and "mAP" in row
