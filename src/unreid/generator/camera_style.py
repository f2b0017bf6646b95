"""A camera-style generator trained without identity labels.

Each camera of a surveillance network has its own colour response, illumination and
white balance, and that camera "style" is what first misleads clustering: crops from
one camera look alike whoever is in them. Following the idea of camera-style
augmentation (Zhong et al., "Camera Style Adaptation for Person Re-identification",
CVPR 2018), unreid renders every training image in the style of other cameras and
trains on the results with the source image's pseudo-label.

The generator here is the closed-form, label-free counterpart of CamStyle's CycleGAN:
per camera, the mean ``mu_c`` and covariance ``S_c`` of pixel colours are fitted on the
unlabelled training images (camera ids only), and an image moves from camera ``s`` to
camera ``t`` by the whitening-colouring transform

    x' = S_t^{1/2} S_s^{-1/2} (x - mu_s) + mu_t

(Li et al., "Universal Style Transfer via Feature Transforms", NeurIPS 2017, applied
to pixel colours). Fitting takes seconds and needs no GPU; it reproduces colour cast,
illumination and white-balance differences, not geometry or background.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)


def _matrix_power_sym(cov: Tensor, power: float, eps: float) -> Tensor:
    """``cov ** power`` of a symmetric positive semi-definite ``[..., 3, 3]`` matrix."""
    values, vectors = torch.linalg.eigh(cov)  # [..., 3], [..., 3, 3]
    scaled = vectors * values.clamp(min=eps).pow(power).unsqueeze(-2)  # [..., 3, 3]
    return scaled @ vectors.transpose(-1, -2)  # [..., 3, 3]


class CameraStyleGenerator(nn.Module):
    """Per-camera colour statistics and the transfer between any two cameras.

    Args:
        num_cameras: number of cameras (ids ``0 .. num_cameras - 1``).
        eps: eigenvalue floor, keeps nearly grey cameras from blowing up.
    """

    means: Tensor
    covariances: Tensor

    def __init__(self, *, num_cameras: int, eps: float = 1e-4) -> None:
        super().__init__()
        if num_cameras < 2:
            raise ValueError(f"camera-style transfer needs at least 2 cameras, got {num_cameras}")
        self.num_cameras = num_cameras
        self.eps = eps
        self.register_buffer("means", torch.zeros(num_cameras, 3))  # [M, 3]
        self.register_buffer("covariances", torch.eye(3).repeat(num_cameras, 1, 1))  # [M, 3, 3]

    @torch.no_grad()
    def fit(self, pixels: Tensor, camera_ids: Tensor, *, max_pixels_per_camera: int = 2_000_000) -> None:
        """Fit colour statistics from ``uint8 [N, 3, H, W]`` images and their camera ids."""
        gen = torch.Generator().manual_seed(0)
        for cam in range(self.num_cameras):
            rows = torch.nonzero(camera_ids == cam).flatten()
            if rows.numel() == 0:
                logger.warning("camera %d has no training images; its style stays neutral", cam)
                continue
            colours = pixels[rows].float().div(255).permute(1, 0, 2, 3).reshape(3, -1)  # [3, n*H*W]
            if colours.shape[1] > max_pixels_per_camera:
                pick = torch.randint(colours.shape[1], (max_pixels_per_camera,), generator=gen).to(colours.device)
                colours = colours[:, pick]
            mean = colours.mean(dim=1)  # [3]
            centred = colours - mean[:, None]  # [3, n]
            self.means[cam] = mean.to(self.means)
            self.covariances[cam] = (centred @ centred.t() / max(colours.shape[1] - 1, 1)).to(self.covariances)
        logger.info("camera-style generator fitted on %d images, %d cameras", pixels.shape[0], self.num_cameras)

    @torch.no_grad()
    def transfer(self, pixels: Tensor, *, source_cameras: Tensor, target_cameras: Tensor) -> Tensor:
        """Render ``uint8 [B, 3, H, W]`` images from their source cameras in the target cameras' style."""
        src, dst = source_cameras.long().cpu(), target_cameras.long().cpu()
        whiten = _matrix_power_sym(self.covariances.cpu()[src], -0.5, self.eps)  # [B, 3, 3]
        colour = _matrix_power_sym(self.covariances.cpu()[dst], 0.5, self.eps)  # [B, 3, 3]
        transform = (colour @ whiten).to(pixels.device)  # [B, 3, 3]
        mu_s = self.means[src.to(self.means.device)].to(pixels.device)  # [B, 3]
        mu_t = self.means[dst.to(self.means.device)].to(pixels.device)  # [B, 3]
        b, _, h, w = pixels.shape
        x = pixels.float().div(255).reshape(b, 3, h * w) - mu_s[:, :, None]  # [B, 3, HW]
        y = transform @ x + mu_t[:, :, None]  # [B, 3, 3] @ [B, 3, HW] -> [B, 3, HW]
        return y.reshape(b, 3, h, w).mul(255).round().clamp(0, 255).to(torch.uint8)
