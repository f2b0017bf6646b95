"""Tracklets as must-link constraints: the crops of one track are clustered as one unit.

A within-camera tracker already knows that the crops of one tracklet show one person, a
link no appearance feature should be able to cut. Clustering each tracklet as a single
unit (its crops' L2-normalised features averaged, then L2-normalised again) guarantees
that, and the mean is a steadier feature than any single crop; a crop without a track is
a unit of its own. The unit labels are then broadcast back to the crops. Cameras stay
meaningful for the ``eps`` search because a tracklet lies within one camera.

Flow: :func:`tracklet_units` -> cluster ``units.features`` (``units.cameras``) ->
:meth:`TrackletUnits.expand`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from unreid.clustering.pseudo_labels import PseudoLabels


@dataclass(frozen=True)
class TrackletUnits:
    """The units clustered in place of the crops.

    Attributes:
        features: ``[U, D]`` one feature per unit: a tracklet's mean L2-normalised crop feature,
            L2-normalised; a single crop's own feature, unchanged.
        unit_of: ``[N]`` int64 unit index of every crop.
        cameras: ``[U]`` camera of every unit (its crops' camera), or ``None`` without cameras.
        sizes: ``[U]`` int64 crops per unit.
    """

    features: Tensor
    unit_of: Tensor
    cameras: Tensor | None
    sizes: Tensor

    @property
    def num_units(self) -> int:
        return int(self.features.shape[0])

    def expand(self, result: PseudoLabels) -> PseudoLabels:
        """``result`` of clustering the units, as labels (and core flags) of the ``N`` crops."""
        labels = result.labels[self.unit_of.to(result.labels.device)]  # [N]
        core = None if result.core is None else result.core[self.unit_of.to(result.core.device)]  # [N]
        return dataclasses.replace(result, labels=labels, core=core, num_outliers=int((labels < 0).sum()))


def tracklet_units(features: Tensor, tracks: Tensor, *, cameras: Tensor | None = None) -> TrackletUnits | None:
    """One unit per tracklet and one per crop without a track; ``None`` when no crop has a track.

    Units are ordered by first crop, so without any multi-crop tracklet the units are the
    crops themselves, in order, with their own features (clustering them equals clustering
    the crops).

    Args:
        features: ``[N, D]`` crop features (any scale; each is L2-normalised before averaging).
        tracks: ``[N]`` track ids, unique over the collection; negative: no track.
        cameras: ``[N]`` camera ids, or ``None``.

    Raises:
        ValueError: for lengths that differ, or a track whose crops come from several cameras.
    """
    n = features.shape[0]
    if tracks.shape != (n,) or (cameras is not None and cameras.shape != (n,)):
        raise ValueError(f"tracklet_units: {n} features but tracks of shape {tuple(tracks.shape)}"
                         + ("" if cameras is None else f" and cameras of shape {tuple(cameras.shape)}"))
    tracks = tracks.to(torch.int64).cpu()  # [N]
    if not bool((tracks >= 0).any()):
        return None
    # a key per crop: its track, or a fresh key after every track id for a crop without one
    untracked = tracks < 0  # [N]
    keys = tracks.clone()  # [N]
    keys[untracked] = int(tracks.max()) + 1 + torch.arange(int(untracked.sum()))
    _, key_index = torch.unique(keys, return_inverse=True)  # [N] in sorted-key order
    first = torch.full((int(key_index.max()) + 1,), n, dtype=torch.int64)
    first = first.scatter_reduce(0, key_index, torch.arange(n), reduce="amin")  # [U] first crop of every key
    rank = torch.empty_like(first)
    rank[torch.argsort(first)] = torch.arange(first.numel())  # [U] key -> unit in order of first crop
    unit_of = rank[key_index]  # [N]
    num_units = first.numel()
    sizes = torch.bincount(unit_of, minlength=num_units)  # [U]
    device = features.device
    unit_of_dev = unit_of.to(device)  # [N]
    summed = torch.zeros(num_units, features.shape[1], device=device, dtype=torch.float32)  # [U, D]
    summed.index_add_(0, unit_of_dev, F.normalize(features.float(), dim=1))  # [U, D]
    unit_features = F.normalize(summed, dim=1)  # [U, D]
    single = (sizes == 1).to(device)  # [U]
    first_crop = torch.sort(first).values.to(device)  # [U] first crop of every unit, in unit order
    unit_features[single] = features.float()[first_crop[single]]  # [S, D] a lone crop keeps its own feature
    unit_cameras = None
    if cameras is not None:
        unit_cameras = cameras[first_crop.to(cameras.device)]  # [U]
        if bool((unit_cameras[unit_of.to(cameras.device)] != cameras).any()):
            raise ValueError("a track holds crops of several cameras; tracks must lie within one camera "
                             "(the folder reader numbers them per camera)")
    return TrackletUnits(features=unit_features, unit_of=unit_of, cameras=unit_cameras, sizes=sizes)
