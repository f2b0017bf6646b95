"""Render every training image into other cameras and write JPEGs plus a manifest."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from tqdm.auto import tqdm

from unreid.data.records import Record
from unreid.generator.learned_style import CameraStyleRenderer
from unreid.generator.manifest import GeneratedEntry, generated_name, write_manifest

logger = logging.getLogger(__name__)


def target_cameras_for(
    cameras: Tensor, *, num_cameras: int, per_image: int = 0, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Pairs ``(source_row [M], target_camera [M])``: every other camera (``per_image=0``) or ``per_image`` of them.

    The ``per_image`` targets of an image are distinct and drawn at random.
    """
    if not 0 <= per_image < num_cameras:
        raise ValueError(f"per_image={per_image}: use 0 (every other camera) or 1 .. {num_cameras - 1}")
    n = cameras.shape[0]
    count = num_cameras - 1 if per_image == 0 else per_image
    if per_image == 0:
        offsets = torch.arange(1, num_cameras).repeat(n, 1)  # [N, M-1]
    else:
        offsets = torch.rand(n, num_cameras - 1, generator=generator).argsort(dim=1)[:, :count] + 1  # [N, k]
    targets = (cameras.long().cpu()[:, None] + offsets) % num_cameras  # [N, k]
    return torch.arange(n).repeat_interleave(count), targets.reshape(-1)  # [N*k], [N*k]


@dataclass(frozen=True)
class RenderOptions:
    """Which renderings :func:`render_to_folder` writes, and how.

    Attributes:
        per_image: target cameras per image, ``0`` = every other camera.
        seed: draws the targets when ``per_image > 0``.
        batch_size: images rendered at once.
        quality: JPEG quality of the written files.
    """

    per_image: int = 0
    seed: int = 0
    batch_size: int = 64
    quality: int = 95


_DEFAULT_OPTIONS = RenderOptions()


@torch.no_grad()
def render_to_folder(
    *, renderer: CameraStyleRenderer, pixels: Tensor, records: list[Record], out_dir: Path,
    options: RenderOptions = _DEFAULT_OPTIONS, progress: bool = True, meta: dict[str, object] | None = None,
) -> list[GeneratedEntry]:
    """Write ``<stem>_fake_c<A>toc<B>.jpg`` for each (image, target camera) and the manifest.

    Args:
        renderer: the colour baseline or the learned generator.
        pixels: ``uint8 [N, 3, H, W]`` training images (rendered and written at this size).
        records: their records (paths and camera ids).
        out_dir: the folder (created).
        options: target cameras per image, their seed, batch size and JPEG quality.
        meta: written into the manifest, with ``per_image`` and ``seed``.
    """
    if pixels.shape[0] != len(records):
        raise ValueError(f"{pixels.shape[0]} images but {len(records)} records")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cameras = torch.tensor([r.camera_id for r in records])  # [N]
    if int(cameras.max()) >= renderer.num_cameras:
        raise ValueError(f"records use camera ids up to {int(cameras.max())}, the generator knows {renderer.num_cameras}")
    source, target = target_cameras_for(cameras, num_cameras=renderer.num_cameras, per_image=options.per_image,
                                        generator=torch.Generator().manual_seed(options.seed))  # [M], [M]
    entries: list[GeneratedEntry] = []
    bar = tqdm(total=source.numel(), desc="render", unit="img", disable=not progress)
    for start in range(0, source.numel(), options.batch_size):
        src, tgt = source[start:start + options.batch_size], target[start:start + options.batch_size]  # [b], [b]
        images = renderer.transfer(pixels[src.to(pixels.device)], source_cameras=cameras[src], target_cameras=tgt)
        array = images.permute(0, 2, 3, 1).cpu().numpy().astype(np.uint8)  # [b, H, W, 3]
        for image, s, t in zip(array, src.tolist(), tgt.tolist()):
            rec = records[s]
            name = generated_name(rec.path, source_camera=rec.camera_id, target_camera=int(t))
            Image.fromarray(image).save(out_dir / name, quality=options.quality)
            entries.append(GeneratedEntry(name, str(Path(rec.path).resolve()), rec.camera_id, int(t)))
        bar.update(src.numel())
    bar.close()
    write_manifest(out_dir, entries, meta=dict(meta or {}, per_image=options.per_image, seed=options.seed))
    logger.info("rendered %d images into %s", len(entries), out_dir)
    return entries
