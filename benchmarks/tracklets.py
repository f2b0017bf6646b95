"""Tracklets as must-link constraints, measured offline on saved training features.

usage: python benchmarks/tracklets.py [RUN_DIR ...] [--epochs 0,2,6,15] [--max-gap 100] [--sizes units|crops]

RUN_DIR is a run trained with ``train.save_features=true`` (``RUN_DIR/features/epoch_XXX.npy`` and
``records.tsv`` of Market-1501 crops); the default is the two market1501-dev label-free runs of seeds 0 and
1. Each epoch's features are clustered with the label-free settings
(:func:`~unreid.clustering.label_free.label_free_clustering`: neighbour counts from the collection size,
``eps`` searched for the most cross-camera clusters) twice: crop by crop, and with every tracklet as one
unit (:mod:`unreid.clustering.tracklets`).

The tracklets are simulated the way a within-camera tracker would give them, from Market-1501's names
``PPPP_cCsS_FFFFFF_NN.jpg`` (person P, camera C, video sequence S, frame F): the crops of one person, camera
and sequence, sorted by frame, with a new tracklet wherever the gap to the previous crop exceeds
``--max-gap`` frames. Person ids are used here to *form* the tracklets (a tracker would provide them,
with its own errors, which this does not simulate) and to *judge* the labels (pair precision, recall and
F of :func:`~unreid.clustering.label_quality.label_quality`); the clustering itself never sees them.
``--sizes crops`` takes the neighbour counts from the number of crops instead of the number of units.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from unreid.clustering.label_free import label_free_clustering
from unreid.clustering.label_quality import label_quality
from unreid.clustering.neighbourhood_sizes import sizes_for_collection
from unreid.clustering.pseudo_labels import ClusteringSettings, PseudoLabels, cluster_features
from unreid.clustering.tracklets import tracklet_units
from unreid.data.records import Record
from unreid.engine.feature_dump import load_epoch_features

RUNS = ("/work/runs/exp/market_lfx_s0", "/work/runs/exp/market_lfx_s1")
MARKET_NAME = re.compile(r"^(?P<pid>-?\d+)_c(?P<cam>\d+)s(?P<seq>\d+)_(?P<frame>\d+)_")


def simulated_tracklets(records: list[Record], *, max_gap: int) -> np.ndarray:
    """``[N]`` track ids (``-1`` for names that are not Market-1501's): same person, camera and sequence,
    consecutive frames at most ``max_gap`` apart."""
    runs: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    for index, record in enumerate(records):
        match = MARKET_NAME.match(record.path.name)
        if match:
            runs[(match["pid"], match["cam"], match["seq"])].append((int(match["frame"]), index))
    tracks = np.full(len(records), -1, dtype=np.int64)
    next_track = 0
    for key in sorted(runs):
        previous = None
        for frame, index in sorted(runs[key]):
            if previous is not None and frame - previous > max_gap:
                next_track += 1
            tracks[index] = next_track
            previous = frame
        next_track += 1
    return tracks


def _cluster(x: torch.Tensor, cameras: torch.Tensor | None, *, crops: int, sizes_from: str) -> PseudoLabels:
    if sizes_from == "units":
        return label_free_clustering(x, cameras=cameras)[0]
    sizes = sizes_for_collection(crops)
    settings = ClusteringSettings(k1=sizes.k1, k2=sizes.k2, min_samples=sizes.min_samples, eps_search=True)
    return cluster_features(x, settings, cameras=cameras)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", default=list(RUNS))
    parser.add_argument("--epochs", default="0,2,6,15", help="comma-separated epochs")
    parser.add_argument("--max-gap", type=int, default=100, help="largest frame gap inside one tracklet")
    parser.add_argument("--sizes", choices=("units", "crops"), default="units",
                        help="neighbour counts from the number of clustered units (default) or of crops")
    args = parser.parse_args()
    torch.set_num_threads(1)
    epochs = [int(e) for e in args.epochs.split(",")]
    header = False
    for run in args.runs:
        for epoch in epochs:
            raw, records = load_epoch_features(Path(run) / "features" / f"epoch_{epoch:03d}.npy")
            tracks = simulated_tracklets(records, max_gap=args.max_gap)  # [N]
            if not header:
                print(_tracklet_summary(tracks, max_gap=args.max_gap))
                print("| run | epoch | tracklets | units | clusters | outliers | eps | pair P | pair R | pair F "
                      "| time (s) |")
                print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
                header = True
            x = torch.from_numpy(raw.astype(np.float32))  # [N, D]
            cameras = torch.tensor([r.camera_id for r in records])  # [N]
            truth = [r.person_id for r in records]
            for used in (False, True):
                start = time.perf_counter()
                units = tracklet_units(x, torch.from_numpy(tracks), cameras=cameras) if used else None
                if units is None:
                    result = _cluster(x, cameras, crops=len(records), sizes_from=args.sizes)
                else:
                    result = units.expand(_cluster(units.features, units.cameras, crops=len(records),
                                                   sizes_from=args.sizes))  # [U] -> [N] labels
                quality = label_quality(result.labels, truth)
                print(f"| {Path(run).name} | {epoch} | {'yes' if used else 'no'} | "
                      f"{len(records) if units is None else units.num_units} | {result.num_clusters} | "
                      f"{result.num_outliers} | {result.eps:.3f} | {quality['precision']:.3f} | "
                      f"{quality['recall']:.3f} | {quality['f_score']:.3f} | {time.perf_counter() - start:.0f} |",
                      flush=True)


def _tracklet_summary(tracks: np.ndarray, *, max_gap: int) -> str:
    per_track = np.bincount(tracks[tracks >= 0])  # [T] crops per tracklet
    multi = per_track >= 2
    return (f"{tracks.size} crops, max gap {max_gap} frames: {per_track.size} tracklets, {int(multi.sum())} of them "
            f"multi-crop holding {int(per_track[multi].sum())} crops ({per_track[multi].sum() / tracks.size:.1%}; "
            f"median length {int(np.median(per_track[multi]))}, longest {int(per_track.max())})")

if __name__ == "__main__":
    main()
