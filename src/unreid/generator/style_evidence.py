"""Does a generated image look like its target camera, and is it still the same person?

Two probes, both fitted on *real* images only, answer the two questions of camera-style
augmentation (Zhong et al., "Camera Style Adaptation for Person Re-identification",
CVPR 2018): a camera classifier (a small CNN trained on real images' camera ids) reads
the camera of each generated image, and a re-ID probe matches each generated image
against the real training images (its own source left out) by a camera-discounting
body-colour descriptor projected by a linear discriminant fitted on real identities.
A do-nothing generator keeps identity but fails the camera probe; a generator that
paints over the person passes the camera probe but fails the re-ID probe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from torch import Tensor, nn

from unreid.generator.stargan import to_unit_range

logger = logging.getLogger(__name__)


def _camera_cnn(num_cameras: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(64, num_cameras),
    )


def train_camera_probe(
    *, pixels: Tensor, cameras: Tensor, num_cameras: int, steps: int = 300, batch_size: int = 32, seed: int = 0
) -> nn.Module:
    """A small CNN trained to tell the camera of ``uint8 [N, 3, H, W]`` real images."""
    torch.manual_seed(seed)
    probe = _camera_cnn(num_cameras).to(pixels.device)
    optimizer = torch.optim.Adam(probe.parameters(), lr=3e-3)
    rng = torch.Generator(device=pixels.device).manual_seed(seed)
    probe.train()
    for _ in range(steps):
        rows = torch.randint(pixels.shape[0], (batch_size,), device=pixels.device, generator=rng)  # [B]
        loss = F.cross_entropy(probe(to_unit_range(pixels[rows])), cameras[rows].long())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return probe.eval()


@torch.no_grad()
def predict_cameras(probe: nn.Module, pixels: Tensor, *, batch_size: int = 256) -> Tensor:
    """``[N]`` camera id the probe reads in each ``uint8`` image."""
    return torch.cat([probe(to_unit_range(chunk)).argmax(1) for chunk in pixels.split(batch_size)])  # [N]


def body_colour_descriptor(pixels: Tensor, *, bands: int = 8) -> np.ndarray:
    """``[N, 6 * bands]``: per-band mean and spread of each standardised channel in the centre columns.

    Standardising each channel over the whole image undoes a per-channel gain and offset,
    so the descriptor discounts a camera's colour cast but keeps the clothing's colours
    relative to the rest of the image.
    """
    x = pixels.float()  # [N, 3, H, W]
    z = (x - x.mean(dim=(2, 3), keepdim=True)) / (x.std(dim=(2, 3), keepdim=True) + 1e-6)  # [N, 3, H, W]
    w = z.shape[3]
    centre = z[:, :, :, int(0.3 * w):max(int(0.7 * w), int(0.3 * w) + 1)]  # [N, 3, H, w']
    feats = []
    for stripe in centre.tensor_split(bands, dim=2):
        feats += [stripe.mean(dim=(2, 3)), stripe.std(dim=(2, 3))]  # [N, 3] each
    return torch.cat(feats, dim=1).cpu().numpy()  # [N, 6 * bands]


@dataclass(frozen=True)
class StyleEvidence:
    """The two rates, each with its chance level and a real-image reference.

    Attributes:
        target_camera_rate: share of generated images the camera probe assigns to their target camera.
        camera_chance: ``1 / M``.
        probe_accuracy: the camera probe's accuracy on held-out real images.
        identity_rate: share of generated images whose nearest real image (source left out) is the source's person.
        identity_chance: the same share for a random real image.
        identity_rate_real: the same rate for the real images themselves (leave-one-out).
    """

    target_camera_rate: float
    camera_chance: float
    probe_accuracy: float
    identity_rate: float
    identity_chance: float
    identity_rate_real: float

    def as_line(self, name: str) -> str:
        return (f"{name:<10} target-camera {100 * self.target_camera_rate:5.1f}% (chance {100 * self.camera_chance:.1f}%, "
                f"probe on held-out real {100 * self.probe_accuracy:.1f}%) | identity R1 {100 * self.identity_rate:5.1f}% "
                f"(chance {100 * self.identity_chance:.1f}%, real images {100 * self.identity_rate_real:.1f}%)")


def identity_probe(real: Tensor, person_ids: np.ndarray) -> tuple[LinearDiscriminantAnalysis, np.ndarray]:
    """Shrinkage LDA on real images' descriptors; returns it and the real images' projected features."""
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=0.1).fit(body_colour_descriptor(real), person_ids)
    feats = lda.transform(body_colour_descriptor(real))
    return lda, feats / np.linalg.norm(feats, axis=1, keepdims=True)


def measure_style_evidence(
    *, probe: nn.Module, probe_accuracy: float, real: Tensor, person_ids: np.ndarray, generated: Tensor,
    source_rows: Tensor, target_cameras: Tensor, num_cameras: int,
) -> StyleEvidence:
    """Both rates for ``generated [M, 3, H, W]`` rendered from ``real[source_rows]`` into ``target_cameras``."""
    target_rate = float((predict_cameras(probe, generated).cpu() == target_cameras.cpu()).float().mean())
    lda, real_feats = identity_probe(real, person_ids)  # [N, d]
    gen_feats = lda.transform(body_colour_descriptor(generated))
    gen_feats = gen_feats / np.linalg.norm(gen_feats, axis=1, keepdims=True)  # [M, d]
    src = source_rows.cpu().numpy()
    sims = gen_feats @ real_feats.T  # [M, N]
    sims[np.arange(len(src)), src] = -np.inf  # the source itself is not a match
    identity_rate = float((person_ids[sims.argmax(1)] == person_ids[src]).mean())
    same = person_ids[None, :] == person_ids[src][:, None]  # [M, N]
    chance = float(((same.sum(1) - 1) / (len(person_ids) - 1)).mean())
    real_sims = real_feats @ real_feats.T  # [N, N]
    np.fill_diagonal(real_sims, -np.inf)
    real_rate = float((person_ids[real_sims.argmax(1)] == person_ids).mean())
    return StyleEvidence(target_rate, 1.0 / num_cameras, probe_accuracy, identity_rate, chance, real_rate)
