"""The generated images of the ``generator`` section: none, the colour baseline fitted here, or a rendered folder."""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from unreid.config.schema import GeneratorConfig
from unreid.data.image_bank import ImageBank
from unreid.data.records import Record
from unreid.generator.camera_style import CameraStyleGenerator
from unreid.generator.enhancement_set import EnhancementSet, generate_enhancement_set
from unreid.generator.generated_queries import GeneratedImageOptions, parse_levels
from unreid.generator.generator_kind import GeneratorKind
from unreid.generator.manifest import load_enhancement_set
from unreid.generator.style_grid import save_style_grid

logger = logging.getLogger(__name__)


def generated_image_options(g: GeneratorConfig) -> GeneratedImageOptions:
    return GeneratedImageOptions(fraction=g.batch_fraction, levels=parse_levels(g.levels), start_epoch=g.start_epoch,
                                 mixer=g.mixer)


def build_enhancement_set(
    g: GeneratorConfig, *, train_records: list[Record], train_bank: ImageBank, seed: int, run_dir: Path,
    is_main: bool, progress: bool,
) -> EnhancementSet | None:
    """The enhancement set of ``g`` (``None``: no generated images); a sample grid goes to ``run_dir``."""
    options = generated_image_options(g)  # validates fraction and levels early
    if not g.enabled or g.kind is GeneratorKind.NONE:
        return None
    if g.generated_dir:
        enhancement = load_enhancement_set(folder=Path(g.generated_dir), train_records=train_records,
                                           height=train_bank.height, width=train_bank.width,
                                           device=train_bank.device, progress=progress)
    elif g.kind is GeneratorKind.LEARNED:
        raise ValueError("generator.kind=learned needs generator.generated_dir (or `unreid train --generated DIR`): "
                         "train with `unreid generator train`, then render with `unreid generator render`")
    else:
        generator = CameraStyleGenerator(num_cameras=max(r.camera_id for r in train_records) + 1)
        generator.fit(train_bank.pixels, train_bank.camera_ids)
        enhancement = generate_enhancement_set(generator=generator, pixels=train_bank.pixels, records=train_records,
                                               per_image=g.per_image, seed=seed)
        if is_main:
            torch.save(generator.state_dict(), run_dir / "camera_style_generator.pth")
    if is_main:
        save_style_grid(path=run_dir / "generated_examples.png", real=train_bank.pixels, enhancement=enhancement,
                        num_examples=8)
    logger.info("generated images: %d (%s), %.0f%% of each batch from epoch %d, levels %s",
                enhancement.pixels.shape[0], g.generated_dir or g.kind.value, 100 * options.fraction,
                options.start_epoch, ",".join(options.levels))
    return enhancement
