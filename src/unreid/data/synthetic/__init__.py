"""Built-in synthetic pedestrians: a small, procedurally drawn re-ID data set.

:func:`make_synthetic_pedestrians` draws person crops with numpy and PIL and writes them
in the Market-1501 layout (see :mod:`unreid.data.market1501`), so the ordinary parser
reads them::

    root/bounding_box_train/   the first half of the identities (all their images)
    root/query/                one image per (test identity, camera)
    root/bounding_box_test/    the other test images, distractors (0000) and junk (-1)
    root/.complete             the generator version and config as JSON, written last

What makes it a re-ID problem rather than a colour lookup:

* **Identity** is the clothing (upper and lower colours from a palette whose entries are
  shared by many identities with small shifts, so colour alone is ambiguous), an upper
  pattern (plain, stripes, checks or a chest logo), sleeve and leg length, hair colour and
  style or a hat, skin tone, shoes, an optional backpack or handbag, and body proportions.
* **Camera** is a background scene (wall, pavement, grass, gradient, shop front, road),
  a strong colour cast (per-channel gain whose tints are spread around the colour wheel,
  so no two cameras share one, plus an offset and a gamma), blur, sensor noise, JPEG
  quality, a typical scale, a dominant viewpoint (front, back or side: a backpack is only
  seen from behind or the side, a chest logo only from the front) and how often something
  (a pole, a low obstacle, another pedestrian) occludes the person.
* **Each image** jitters the pose (arm swing, stride), position, scale and brightness.

The camera effects dominate low-level image statistics, so features of an untrained
network group images by camera, while a model that learns to discount the camera can
recover identity. ``scripts/check_synthetic_difficulty.py`` measures this: with the
default config an untrained ResNet-18 gets about 2% cross-camera mAP (chance: about 1%)
and KMeans on its features groups the images by camera, while a hand-made colour
descriptor that discounts the cast gets about 15-25%. Every random draw comes from a :class:`numpy.random.SeedSequence`
keyed by the seed and the item, so the same config gives the same bytes.

Test identities get at least two images in at least two of their cameras, so that every
query has a gallery match in another camera (the Market-1501 evaluation protocol ignores
same-camera matches).

The package has one module per part: :mod:`.config` (what to draw), :mod:`.random_streams`,
:mod:`.appearance` (identities), :mod:`.scenes` and :mod:`.cameras` (the camera model),
:mod:`.person_drawing` and :mod:`.image_rendering` (pixels), :mod:`.layout` (which file
shows whom) and :mod:`.dataset_tree` (writing and caching the tree).
"""

from __future__ import annotations

from unreid.data.synthetic.config import SyntheticConfig
from unreid.data.synthetic.dataset_tree import (
    GENERATOR_VERSION,
    MARKER_NAME,
    make_synthetic_pedestrians,
)

__all__ = ["GENERATOR_VERSION", "MARKER_NAME", "SyntheticConfig", "make_synthetic_pedestrians"]
