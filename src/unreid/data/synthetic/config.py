"""What the synthetic data set draws: :class:`SyntheticConfig`, checked on construction.

Kept apart from the drawing code because the CLI, the run folder and the cache marker only
need the config, and a bad field should be reported before anything is drawn.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyntheticConfig:
    """What to draw.

    Attributes:
        num_identities: identities in total; the first ``num_identities // 2`` form the
            training set, the rest the query/gallery set.
        num_cameras: cameras (each with its own scene, colour cast, blur, noise and viewpoint).
        images_per_identity_camera: ``(min, max)`` images of an identity in each camera that
            sees it (test identities get at least two in two of their cameras).
        cameras_per_identity: ``(min, max)`` cameras that see an identity; at least 2.
        height: image height in pixels.
        width: image width in pixels.
        seed: random seed; the same config gives byte-identical files.
        camera_strength: how strongly the cameras' colours differ, in [0, 1]. 1 gives full
            colour casts and coloured scenes (an untrained ResNet-18 gets about 2% mAP and
            learning from scratch on a CPU budget cannot escape clusters of one camera each);
            0 removes the casts and greys the scenes (cameras still differ in layout,
            brightness, blur, noise, viewpoint, scale and occlusion; untrained mAP about 9%).
            The default 0 still makes untrained features group by camera slightly more
            than by person (AMI 0.19 vs 0.16) and is what the method learns from scratch
            on 2 CPU cores; 0.2 (AMI 0.26 vs 0.12) and 1 are harder variants.
    """

    num_identities: int = 120
    num_cameras: int = 6
    images_per_identity_camera: tuple[int, int] = (1, 4)
    cameras_per_identity: tuple[int, int] = (2, 5)
    height: int = 128
    width: int = 64
    seed: int = 0
    camera_strength: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.camera_strength <= 1.0:
            raise ValueError(f"SyntheticConfig.camera_strength={self.camera_strength}: must lie in [0, 1]")
        for name in ("images_per_identity_camera", "cameras_per_identity"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"SyntheticConfig.{name} must be a (min, max) pair, got {value!r}")
            object.__setattr__(self, name, (int(value[0]), int(value[1])))
        self._check_counts()
        self._check_image()

    def _check_counts(self) -> None:
        """Enough identities, cameras and images for a train/test split with cross-camera matches."""
        if self.num_identities < 2:
            raise ValueError(
                f"SyntheticConfig.num_identities={self.num_identities}: need at least 2 "
                "(half are training identities, half test identities)"
            )
        if self.num_cameras < 2:
            raise ValueError(
                f"SyntheticConfig.num_cameras={self.num_cameras}: need at least 2 (cross-camera matching)"
            )
        low, high = self.images_per_identity_camera
        if not 1 <= low <= high:
            raise ValueError(
                f"SyntheticConfig.images_per_identity_camera={self.images_per_identity_camera}: "
                "need 1 <= min <= max"
            )
        low, high = self.cameras_per_identity
        if not 2 <= low <= high:
            raise ValueError(
                f"SyntheticConfig.cameras_per_identity={self.cameras_per_identity}: need 2 <= min <= max"
            )
        if high > self.num_cameras:
            raise ValueError(
                f"SyntheticConfig.cameras_per_identity={self.cameras_per_identity}: max exceeds "
                f"num_cameras={self.num_cameras}"
            )

    def _check_image(self) -> None:
        """The image size and the seed."""
        if self.height < 32 or self.width < 16:
            raise ValueError(
                f"SyntheticConfig.height={self.height}, width={self.width}: need height >= 32 and width >= 16"
            )
        if self.seed < 0:
            raise ValueError(f"SyntheticConfig.seed={self.seed}: must be >= 0")

    def to_json(self) -> dict[str, object]:
        """The config as a JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))
