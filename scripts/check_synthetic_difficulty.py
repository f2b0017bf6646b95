"""Measure how hard the built-in synthetic pedestrians are for untrained features.

Builds the default set under ``/tmp`` and reports:

1. cross-camera mAP / rank-1 of query vs gallery (Market-1501 protocol: gallery images
   of the same person *and* camera are ignored, junk is dropped) for features of a
   randomly initialised ResNet-18;
2. KMeans (k = number of training identities) on the training features: NMI and AMI of
   the clusters against camera ids and against person ids (NMI is inflated for person
   ids by the many small clusters, so the NMI of shuffled clusters is shown too);
3. the same mAP for a hand-crafted, camera-discounting colour descriptor (channels
   standardised per image, then colour statistics of horizontal body stripes), and for
   the random-CNN features after a shrinkage LDA fitted on the *training* identities'
   labels: both show that identity is recoverable from the pixels;
4. a PNG grid of sample images (rows = test identities, columns = cameras).

Usage::

    PYTHONPATH=src python scripts/check_synthetic_difficulty.py [--root /tmp/unreid-synthetic-check]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import timm
import torch
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from unreid.data.market1501 import load_market1501
from unreid.data.records import Record
from unreid.data.synthetic import SyntheticConfig, make_synthetic_pedestrians

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def load_images(records: list[Record], *, height: int, width: int) -> np.ndarray:
    """Return ``(N, H, W, 3)`` float32 images in [0, 1], resized to ``height`` x ``width``."""
    images = []
    for record in records:
        with Image.open(record.path) as image:
            resized = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        images.append(np.asarray(resized, np.float32) / 255.0)
    return np.stack(images)


@torch.no_grad()
def random_cnn_features(images: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """L2-normalised pooled features of a randomly initialised ResNet-18 (eval mode)."""
    torch.manual_seed(seed)
    model = timm.create_model("resnet18", num_classes=0, pretrained=False).eval()
    batch = torch.from_numpy((images - IMAGENET_MEAN) / IMAGENET_STD).permute(0, 3, 1, 2).contiguous()
    feats = torch.cat([model(chunk) for chunk in batch.split(128)])
    return torch.nn.functional.normalize(feats, dim=1).numpy()


def colour_features(images: np.ndarray, *, bands: int = 6, bins: int = 8) -> np.ndarray:
    """Camera-discounting colour descriptor of the body (no learning involved).

    Each channel is standardised over the whole image (minus its mean, divided by its
    standard deviation), which undoes a per-channel gain and offset. The centre columns
    (30-70% of the width, mostly the body) are cut into ``bands`` horizontal stripes;
    each stripe contributes the mean and spread of the standardised channels and a
    per-channel histogram of them.
    """
    n, h, w, _ = images.shape
    flat = images.reshape(n, -1, 3)
    z = (images - flat.mean(axis=1)[:, None, None]) / (flat.std(axis=1)[:, None, None] + 1e-6)
    centre = z[:, :, int(0.3 * w):int(0.7 * w)]
    feats = []
    for rows in np.array_split(np.arange(h), bands):
        stripe = centre[:, rows].reshape(n, -1, 3)
        feats += [stripe.mean(axis=1), stripe.std(axis=1)]
        index = np.clip(((stripe + 2.5) / 5 * bins).astype(int), 0, bins - 1)
        for channel in range(3):
            hist = np.zeros((n, bins), np.float32)
            np.add.at(hist, (np.repeat(np.arange(n), stripe.shape[1]), index[..., channel].ravel()), 1.0)
            feats.append(np.sqrt(hist / stripe.shape[1]))
    out = np.concatenate(feats, axis=1)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def lda_probe(train: np.ndarray, train_records: list[Record], *,
              shrinkage: float = 0.1) -> Callable[[np.ndarray], np.ndarray]:
    """Fit a shrinkage LDA on labelled training features; returns its ``transform``."""
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage)
    lda.fit(train, [r.person_id for r in train_records])

    def transform(features: np.ndarray) -> np.ndarray:
        projected = lda.transform(features)
        return projected / np.linalg.norm(projected, axis=1, keepdims=True)

    return transform


def cross_camera_map(query: np.ndarray, gallery: np.ndarray, q_records: list[Record],
                     g_records: list[Record]) -> tuple[float, float]:
    """Market-1501 mAP and rank-1 (same person + same camera gallery entries ignored)."""
    q_pid = np.array([r.person_id for r in q_records])
    q_cam = np.array([r.camera_id for r in q_records])
    g_pid = np.array([r.person_id for r in g_records])
    g_cam = np.array([r.camera_id for r in g_records])
    dist = -query @ gallery.T
    aps, top1 = [], []
    for i in range(len(q_records)):
        keep = ~((g_pid == q_pid[i]) & (g_cam == q_cam[i]))
        order = np.argsort(dist[i][keep], kind="stable")
        hits = (g_pid[keep][order] == q_pid[i]).astype(np.float64)
        if hits.sum() == 0:
            continue
        ranks = np.flatnonzero(hits) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
        top1.append(hits[0])
    return float(np.mean(aps)), float(np.mean(top1))


def cluster_agreement(features: np.ndarray, records: list[Record], *, k: int) -> dict[str, float]:
    """KMeans(k) on ``features``: NMI and AMI of the clusters against camera and person ids.

    NMI is biased upwards for many small clusters (random clusters already score high
    against the many person ids), so the NMI of a random assignment with the same
    cluster sizes is reported too, and the chance-corrected AMI.
    """
    clusters = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(features)
    shuffled = np.random.default_rng(0).permutation(clusters)
    out = {}
    for name, truth in (("camera", [r.camera_id for r in records]), ("person", [r.person_id for r in records])):
        out[f"nmi_{name}"] = normalized_mutual_info_score(truth, clusters)
        out[f"ami_{name}"] = adjusted_mutual_info_score(truth, clusters)
        out[f"chance_nmi_{name}"] = normalized_mutual_info_score(truth, shuffled)
    return out


def save_grid(records: list[Record], *, num_cameras: int, path: Path, rows: int = 7, zoom: int = 2) -> None:
    """Rows = identities seen by the most cameras, columns = cameras (blank when unseen)."""
    by_id: dict[int, dict[int, Path]] = defaultdict(dict)
    for r in records:
        by_id[r.person_id].setdefault(r.camera_id, r.path)
    chosen = sorted(by_id, key=lambda pid: (-len(by_id[pid]), pid))[:rows]
    with Image.open(records[0].path) as first:
        w, h = first.size
    grid = Image.new("RGB", (num_cameras * (w + 2) * zoom, len(chosen) * (h + 2) * zoom), (255, 255, 255))
    for row, pid in enumerate(chosen):
        for cam, image_path in by_id[pid].items():
            with Image.open(image_path) as image:
                tile = image.convert("RGB").resize((w * zoom, h * zoom), Image.Resampling.NEAREST)
            grid.paste(tile, (cam * (w + 2) * zoom, row * (h + 2) * zoom))
    grid.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("/tmp/unreid-synthetic-check"))
    parser.add_argument("--grid", type=Path, default=Path("/tmp/synthetic_grid.png"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    config = SyntheticConfig(seed=args.seed)
    started = time.perf_counter()
    make_synthetic_pedestrians(root=args.root, config=config, overwrite=True)
    build_s = time.perf_counter() - started
    split = load_market1501(args.root)
    gallery = split.gallery

    h, w = 128, 64
    train_images = load_images(split.train, height=h, width=w)
    query_images = load_images(split.query, height=h, width=w)
    gallery_images = load_images(gallery, height=h, width=w)

    cnn_t = random_cnn_features(train_images)
    cnn_q, cnn_g = random_cnn_features(query_images), random_cnn_features(gallery_images)
    cnn_map, cnn_r1 = cross_camera_map(cnn_q, cnn_g, split.query, gallery)
    probe = lda_probe(cnn_t, split.train)
    lda_map, lda_r1 = cross_camera_map(probe(cnn_q), probe(cnn_g), split.query, gallery)
    col_map, col_r1 = cross_camera_map(colour_features(query_images), colour_features(gallery_images),
                                       split.query, gallery)
    k = len({r.person_id for r in split.train})
    agreement = cluster_agreement(cnn_t, split.train, k=k)
    chance = np.mean([np.mean([g.person_id == q.person_id for g in gallery if not (
        g.person_id == q.person_id and g.camera_id == q.camera_id)]) for q in split.query])

    save_grid(split.query + gallery, num_cameras=config.num_cameras, path=args.grid)
    print(f"build time (default config): {build_s:.1f} s")
    print(f"random ResNet-18   cross-camera mAP {100 * cnn_map:5.1f}%  rank-1 {100 * cnn_r1:5.1f}%")
    print(f"colour descriptor  cross-camera mAP {100 * col_map:5.1f}%  rank-1 {100 * col_r1:5.1f}%")
    print(f"random ResNet-18 + LDA on train labels  mAP {100 * lda_map:5.1f}%  rank-1 {100 * lda_r1:5.1f}%")
    print(f"(fraction of positives in the gallery, a chance baseline: {100 * chance:.1f}%)")
    print(f"KMeans k={k} on random-CNN train features:")
    for name in ("camera", "person"):
        print(f"  vs {name:<6}: NMI {agreement[f'nmi_{name}']:.3f} (random clusters: "
              f"{agreement[f'chance_nmi_{name}']:.3f})  AMI {agreement[f'ami_{name}']:.3f}")
    print(f"grid of samples: {args.grid}")


if __name__ == "__main__":
    main()
