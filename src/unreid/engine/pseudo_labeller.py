"""Step 2 of every epoch: pseudo-labels for the training features.

A labeller is any callable ``(features, records, epoch) -> EpochLabels``; the trainer
does not care how the labels are made, so another clusterer (or ground truth, for a
diagnostic upper bound) plugs in without touching the epoch loop. Labellers are looked up
by name in :data:`LABELLERS`; a new one is a class (or function) taking the ``cluster``
section, decorated with :func:`register_labeller`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import torch
from torch import Tensor

from unreid.clustering import cluster_features, cluster_size_stats, false_merge_camera_share, label_quality
from unreid.clustering.camera_centering import center_per_camera
from unreid.clustering.cluster_algorithm import ClusterAlgorithm
from unreid.clustering.eps_policy import EpsPolicy
from unreid.clustering.infomap_clustering import cluster_features_infomap
from unreid.clustering.neighbourhood_sizes import NeighbourhoodPolicy, NeighbourhoodSizes, sizes_for_collection
from unreid.clustering.oracle_labels import oracle_labels
from unreid.clustering.pseudo_labels import ClusteringSettings, JaccardMethod
from unreid.clustering.tracklets import tracklet_units
from unreid.config.schema import ClusterConfig
from unreid.data.records import Record
from unreid.engine.failure_hints import no_clusters_hint
from unreid.registry import Registry

logger = logging.getLogger(__name__)


@dataclass
class EpochLabels:
    """``labels [N]`` (``-1``: outlier, sits the epoch out), ``core [N]`` points, the step's timings
    and diagnostics (cluster sizes; label quality where the identities are known)."""

    labels: Tensor
    core: Tensor
    eps: float
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, float] = field(default_factory=dict)


class PseudoLabeller(Protocol):
    @property
    def name(self) -> str:
        """What made the labels, as the failure message names it (``DBSCAN``, ``Infomap``, ...)."""

    def __call__(self, features: Tensor, records: list[Record], epoch: int) -> EpochLabels:
        """Labels of ``features [N, D]`` at ``epoch``."""

    def failure_hint(self, features: Tensor, records: list[Record], *, epoch: int, num_outliers: int,
                     lr: float) -> str:
        """What to change when the labels hold fewer than two clusters (the end of the failure message)."""


LabellerFactory = Callable[[ClusterConfig], PseudoLabeller]

LABELLERS: Registry[LabellerFactory] = Registry("pseudo-labeller")
"""Every labeller by name: a factory taking the ``cluster`` section of the configuration."""

register_labeller = LABELLERS.register
"""Adds the decorated factory (a class or function taking a :class:`ClusterConfig`) as ``name``, once."""


def build_labeller(name: str, *, cluster: ClusterConfig) -> PseudoLabeller:
    """The labeller registered as ``name``, made from ``cluster``; ``ValueError`` lists the valid names."""
    return LABELLERS[name](cluster)


def configured_labeller_name(cluster: ClusterConfig) -> str:
    """The registry name the configuration asks for: ``oracle`` under ``cluster.oracle``, else ``cluster.labeller``."""
    return "oracle" if cluster.oracle else cluster.labeller


def quality_diagnostics(labels: Tensor, records: list[Record]) -> dict[str, float]:
    """Cluster sizes, plus pair precision/recall and NMI against the true identities where known."""
    diagnostics = dict(cluster_size_stats(labels))
    truth = [r.person_id for r in records]
    if min(truth) >= 0:
        diagnostics.update({f"pl_{k}": v for k, v in label_quality(labels, truth).items()})
        diagnostics["pl_false_merge_same_camera"] = false_merge_camera_share(labels, truth, [r.camera_id for r in records])
    return diagnostics


@register_labeller("clustering")
class ClusteringLabeller:
    """k-reciprocal Jaccard distance + DBSCAN (or Infomap, ``cluster.algorithm``) on (optionally
    camera-centred) features."""

    def __init__(self, cluster: ClusterConfig) -> None:
        self.cluster = cluster

    @property
    def name(self) -> str:
        return "Infomap" if self.cluster.algorithm is ClusterAlgorithm.INFOMAP else "DBSCAN"

    def __call__(self, features: Tensor, records: list[Record], epoch: int) -> EpochLabels:
        c = self.cluster
        cameras = torch.tensor([r.camera_id for r in records], device=features.device)  # [N]
        features = self.clustered_features(features, cameras)  # [N, D]
        # cluster.tracklets: each track is one unit (must-link); None without tracks
        units = tracklet_units(features, torch.tensor([r.track_id for r in records]), cameras=cameras) \
            if c.tracklets else None
        x, x_cameras = (features, cameras) if units is None else (units.features, units.cameras)  # [U, D], [U]
        if c.algorithm is ClusterAlgorithm.INFOMAP:
            result = cluster_features_infomap(x, k=c.infomap_k, min_similarity=c.infomap_min_similarity,
                                              min_size=c.infomap_min_size)
        else:
            sizes = self.neighbourhood_sizes(x.shape[0])
            settings = ClusteringSettings(
                k1=sizes.k1, k2=sizes.k2, eps=c.eps_for(epoch), min_samples=sizes.min_samples, method=c.method,
                auto_eps_rho=c.auto_rho if c.eps_policy is EpsPolicy.AUTO else 0.0,
                eps_search=c.eps_policy is EpsPolicy.CROSS_CAMERA,
            )
            result = cluster_features(x, settings, cameras=x_cameras)
        if units is not None:
            result = units.expand(result)  # [U] labels -> [N]
        assert result.core is not None
        labels = result.labels.cpu()  # [N]
        diagnostics = {"eps": round(result.eps, 4), **quality_diagnostics(labels, records)}
        if units is not None:
            diagnostics["tracklet_units"] = float(units.num_units)
        if c.algorithm is not ClusterAlgorithm.INFOMAP:
            diagnostics.update(k1=float(sizes.k1), min_samples=float(sizes.min_samples))
        return EpochLabels(labels=result.labels, core=result.core, eps=result.eps, timings=dict(result.timings),
                            diagnostics=diagnostics)

    def clustered_features(self, features: Tensor, cameras: Tensor) -> Tensor:
        """What this labeller clusters: ``features [N, D]``, centred per camera under ``cluster.camera_centering``.
        The label-free score clusters the same features (:meth:`UnsupervisedTrainer.score_model`)."""
        return center_per_camera(features, cameras) if self.cluster.camera_centering else features  # [N, D]

    @property
    def clusters_like_label_free_score(self) -> bool:
        """Whether these labels are exactly the label-free score's clustering of :meth:`clustered_features`
        (:func:`~unreid.clustering.label_free.label_free_clustering`), so the trainer computes them once."""
        c = self.cluster
        return (c.algorithm is ClusterAlgorithm.DBSCAN and c.neighbours is NeighbourhoodPolicy.AUTO
                and c.eps_policy is EpsPolicy.CROSS_CAMERA
                and JaccardMethod(c.method) is JaccardMethod.SPARSE)

    def neighbourhood_sizes(self, num_images: int) -> NeighbourhoodSizes:
        """``k1``, ``k2``, ``min_samples`` as configured, or scaled to ``num_images`` (``cluster.neighbours``)."""
        c = self.cluster
        if c.neighbours is NeighbourhoodPolicy.AUTO:
            return sizes_for_collection(num_images)
        return NeighbourhoodSizes(k1=c.k1, k2=c.k2, min_samples=c.min_samples)

    def failure_hint(self, features: Tensor, records: list[Record], *, epoch: int, num_outliers: int,
                     lr: float) -> str:
        c = self.cluster
        if c.algorithm is ClusterAlgorithm.INFOMAP:
            return (f"{num_outliers} of {features.shape[0]} images are outliers; lower cluster.infomap_min_similarity "
                    f"(now {c.infomap_min_similarity}) or cluster.infomap_min_size (now {c.infomap_min_size}), "
                    "or set cluster.algorithm=dbscan")
        return no_clusters_hint(features=features, records=records, eps=self.cluster.eps_for(epoch),
                                min_samples=self.neighbourhood_sizes(features.shape[0]).min_samples,
                                num_outliers=num_outliers, lr=lr,
                                trained=epoch > 0)


@register_labeller("oracle")
class OracleLabeller:
    """Ground-truth identities as labels (``cluster.oracle``, diagnostics only): the supervised upper
    bound of the same backbone, loss and budget; see :mod:`unreid.clustering.oracle_labels`. It uses
    nothing of ``cluster`` (taken only for the registry's uniform factory signature)."""

    name = "the oracle (true identities)"

    def __init__(self, cluster: ClusterConfig | None = None) -> None:
        del cluster

    def __call__(self, features: Tensor, records: list[Record], epoch: int) -> EpochLabels:
        result = oracle_labels(records, device=features.device)
        assert result.core is not None
        diagnostics = {"eps": 0.0, **quality_diagnostics(result.labels.cpu(), records)}
        return EpochLabels(labels=result.labels, core=result.core, eps=0.0, timings=dict(result.timings),
                           diagnostics=diagnostics)

    def failure_hint(self, features: Tensor, records: list[Record], *, epoch: int, num_outliers: int,
                     lr: float) -> str:
        return "the training set holds fewer than two identities; cluster.oracle needs at least two"
