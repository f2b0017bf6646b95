"""What it takes to rebuild a trained model: saved in every checkpoint, read back in one place.

``unreid train`` writes a :class:`ModelSpec` into ``last.pth`` and ``model.pth``;
``extract``, ``search``, ``serve``, ``evaluate`` and ``export`` rebuild the network from
it (no ImageNet weights needed: the checkpoint holds every weight).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unreid.models.embedding_model import EmbeddingModel, build_embedding_model

_TYPES: dict[str, type] = {"backbone": str, "height": int, "width": int, "last_stride_one": bool,
                           "stride_in_1x1": bool, "embedding_dim": int, "gem_p": float}
"""The type of every ``model_spec`` entry (an ``int`` is accepted for ``gem_p``)."""


def _is(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


@dataclass(frozen=True)
class ModelSpec:
    """The architecture and input size of an embedding model."""

    backbone: str
    height: int
    width: int
    last_stride_one: bool = True
    stride_in_1x1: bool = False
    embedding_dim: int = 0
    gem_p: float = 3.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Any, *, source: Path) -> ModelSpec:
        """The spec saved in checkpoint ``source``; ``ValueError`` naming the file when it is missing or odd."""
        if not isinstance(values, dict) or not {"backbone", "height", "width"} <= set(values):
            raise ValueError(f"{source}: checkpoint has no model_spec (backbone, height, width); "
                             "use the model.pth or last.pth written by `unreid train`")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{source}: model_spec has unknown keys {unknown}; was it written by a newer unreid?")
        wrong = [f"{key}={values[key]!r} (expected {kind.__name__})" for key, kind in _TYPES.items()
                 if key in values and not _is(values[key], kind)]
        if wrong:
            raise ValueError(f"{source}: model_spec is not valid: {', '.join(wrong)}; use the model.pth or last.pth "
                             "written by `unreid train`")
        if values["height"] < 1 or values["width"] < 1:
            raise ValueError(f"{source}: model_spec height {values['height']} x width {values['width']} must be >= 1")
        try:
            return cls(**values)
        except TypeError as error:
            raise ValueError(f"{source}: model_spec {values} is not valid ({error})") from error

    def build(self) -> EmbeddingModel:
        """The network, randomly initialised (load the checkpoint's weights into it)."""
        return build_embedding_model(backbone=self.backbone, last_stride_one=self.last_stride_one,
                                     stride_in_1x1=self.stride_in_1x1, embedding_dim=self.embedding_dim,
                                     gem_p=self.gem_p)
