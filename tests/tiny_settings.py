"""The one tiny run configuration of the end-to-end tests: about 3 s on one CPU thread
(83 synthetic training images, 2 epochs of 3 steps). Tests change only what they test."""

from __future__ import annotations

TINY_SETTINGS: dict[str, object] = {
    "data.dataset": "synthetic", "data.synthetic_identities": 20, "data.height": 32, "data.width": 16,
    "model.backbone": "resnet10t", "model.samples_per_bn": 16,
    "cluster.k1": 6, "cluster.k2": 2, "cluster.min_samples": 2, "cluster.eps": 0.5,
    "train.epochs": 2, "train.iterations": 3, "train.num_identities": 4, "train.num_instances": 4,
    "train.device": "cpu", "train.amp": "none", "train.channels_last": False, "train.eval_every": 1,
    "train.threads": 1, "train.lr_step": 10, "generator.enabled": False, "eval.batch_size": 64,
    "eval.grid_queries": 2,
}


def as_overrides(settings: dict[str, object]) -> list[str]:
    """``--set`` values (``key=value``) of a settings mapping."""
    return [f"{key}={str(value).lower() if isinstance(value, bool) else value}" for key, value in settings.items()]
