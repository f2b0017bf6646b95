"""One CPU thread count for torch, onnxruntime and faiss, so that they never oversubscribe the cores.

Each library sizes its own pool (torch: the physical cores; onnxruntime: the physical cores;
faiss: OpenMP's count), and spinning workers of one pool slow down the next library's
work on a small machine. :func:`configure_threads` sets torch's and faiss's pools to one
number; onnxruntime sessions take that number as their intra-op threads (torch's current
count, see :mod:`~unreid.engine.onnx_inference`). torch is configured only when it is
already imported, so the ONNX-only path of ``extract`` / ``search`` / ``serve`` stays torch-free.
"""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger(__name__)


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_threads(threads: int) -> int:
    """Give torch (when imported) and faiss (when imported) ``threads`` threads; returns the number in use.

    Args:
        threads: ``0`` keeps torch's current number (its default, the physical cores), or the
            available cores when torch is not loaded.
    """
    if threads < 0:
        raise ValueError(f"--threads {threads} must be >= 0 (0 = the default)")
    torch = sys.modules.get("torch")
    if threads == 0:
        threads = torch.get_num_threads() if torch is not None else available_cores()
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(threads)
    logger.debug("CPU threads: %d (torch %s, faiss %s)", threads, "set" if torch else "not loaded",
                 "set" if faiss else "not loaded")
    return threads
