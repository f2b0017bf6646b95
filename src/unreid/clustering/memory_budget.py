"""Refuse an ``N x N`` computation before it starts when it cannot fit in memory.

Dense Jaccard distances and re-ranking hold several ``N x N`` matrices; at MSMT17's
scale that is hundreds of gigabytes, and the operating system's out-of-memory killer
ends the process without a message. Estimating the peak first costs nothing.
"""

from __future__ import annotations

import logging
import os

import torch

logger = logging.getLogger(__name__)


def available_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` (CUDA: free GPU memory; CPU: ``MemAvailable``), or ``None`` if unknown."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    if device.type != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(*, needed: int, device: torch.device, what: str, fix: str, available: int | None = None) -> None:
    """Raise ``ValueError`` naming ``what``, both sizes and ``fix`` when ``needed`` bytes exceed what is free.

    Args:
        needed: estimated peak bytes.
        device: where the computation runs.
        what: the computation, e.g. ``"dense Jaccard distance of 93,820 images"``.
        fix: what the user can do instead.
        available: free bytes (default: :func:`available_bytes`).
    """
    free = available_bytes(device) if available is None else available
    if free is None:
        return
    logger.debug("%s needs about %.1f GB, %.1f GB free on %s", what, needed / 1e9, free / 1e9, device)
    if needed > free:
        raise ValueError(
            f"{what} needs about {needed / 1e9:.1f} GB but only {free / 1e9:.1f} GB is free on {device}; {fix}"
        )
