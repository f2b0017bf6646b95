"""Key names of timm's EfficientNet-family models (``EfficientNet``, ``MobileNetV2``) for a flat block list.

Other ports number the inverted-residual blocks ``0..N-1``; timm groups them into stages
(``blocks.<stage>.<index>``). The first block of these networks is a depthwise-separable
block (no expansion), the others are inverted residuals.
"""

from __future__ import annotations

# A depthwise-separable block (timm's DepthwiseSeparableConv) and an inverted residual (InvertedResidual).
SEPARABLE_PARTS = ("conv_dw", "bn1", "conv_pw", "bn2")
INVERTED_PARTS = ("conv_pw", "bn1", "conv_dw", "bn2", "conv_pwl", "bn3")


def stage_positions(depths: tuple[int, ...]) -> list[tuple[int, int]]:
    """``(stage, index)`` of each block of a flat list, for stage depths such as ``(1, 2, 2, 3, 3, 4, 1)``."""
    return [(stage, index) for stage, depth in enumerate(depths) for index in range(depth)]


def block_key(*, flat_index: int, part: int, depths: tuple[int, ...]) -> str:
    """timm's prefix for the ``part``-th layer (in forward order) of flat block ``flat_index``."""
    positions = stage_positions(depths)
    if not 0 <= flat_index < len(positions):
        raise ValueError(f"block {flat_index} out of range: these stage depths {depths} have {len(positions)} blocks")
    stage, index = positions[flat_index]
    parts = SEPARABLE_PARTS if flat_index == 0 else INVERTED_PARTS
    return f"blocks.{stage}.{index}.{parts[part]}"
