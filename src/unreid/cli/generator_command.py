"""``unreid generator train|render``: the learned camera-style generator.

``train`` fits the StarGAN-style generator of :mod:`unreid.generator.stargan` on the
configured data set's training images and camera ids (no identity labels), writing a
sample grid every ``--sample-every`` steps and a resumable checkpoint every
``--checkpoint-every``. ``render`` writes every training image in every other camera
(or ``--per-image`` of them) with the learned generator or the colour baseline, plus
the manifest that ``unreid train --generated DIR`` reads::

    unreid generator train --config market1501 --out runs/gen
    unreid generator render --config market1501 --checkpoint runs/gen/generator.pth --out runs/gen/images
    unreid train --config market1501 --generated runs/gen/images
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from unreid.cli.train_command import add_config_arguments
from unreid.data.records import ReIDSplit

if TYPE_CHECKING:
    import torch

    from unreid.config.schema import RunConfig

logger = logging.getLogger(__name__)

LAST_CHECKPOINT = "generator_last.pth"
FINAL_CHECKPOINT = "generator.pth"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("generator", help="train the camera-style generator, render generated images")
    actions = parser.add_subparsers(dest="generator_command", required=True)

    train = actions.add_parser("train", help="train the camera-conditioned generator from camera ids alone "
                                              "(settings: the generator.training section, e.g. "
                                              "--set generator.training.steps=2000)")
    add_config_arguments(train)
    train.add_argument("--out", type=Path, required=True, help="folder for checkpoints and sample grids")
    train.add_argument("--resume", action="store_true", help=f"continue from OUT/{LAST_CHECKPOINT}")
    train.add_argument("--no-progress", action="store_true")
    train.set_defaults(func=run_train)

    render = actions.add_parser("render", help="render training images into other cameras, with a manifest")
    add_config_arguments(render)
    render.add_argument("--out", type=Path, required=True, help="folder for the JPEGs and manifest.csv/json")
    render.add_argument("--kind", choices=("learned", "color"), default="learned")
    render.add_argument("--checkpoint", type=Path, default=None, help="generator.pth of `generator train` (learned)")
    render.add_argument("--per-image", type=int, default=None,
                        help="target cameras per image, 0: every other camera (default: generator.per_image)")
    render.add_argument("--height", type=int, default=0, help="render size (default: the generator's, 128x64 for color)")
    render.add_argument("--width", type=int, default=0)
    render.add_argument("--batch-size", type=int, default=64)
    render.add_argument("--no-progress", action="store_true")
    render.set_defaults(func=run_render)


def _train_images(config: RunConfig, height: int, width: int, *, progress: bool,
                  ) -> tuple[ReIDSplit, torch.Tensor, torch.Tensor, torch.device]:
    import torch

    from unreid.cli.dataset_loading import load_split
    from unreid.data.image_bank import ImageBank
    from unreid.engine.precision import resolve_device

    device = resolve_device(config.train.device)
    if config.train.threads > 0:
        torch.set_num_threads(config.train.threads)
    split = load_split(config.data)
    if config.data.max_train_images > 0:
        split = dataclasses.replace(split, train=split.train[: config.data.max_train_images])
    bank = ImageBank(split.train, height=height, width=width, device=device, progress=progress)
    return split, bank.pixels, bank.camera_ids, device


def run_train(args: argparse.Namespace) -> int:
    import torch

    from unreid.config.loader import load_config
    from unreid.config.validation import validate_config
    from unreid.generator.learned_style import LearnedCameraStyle, checkpoint_payload
    from unreid.generator.stargan_training import StarGANOptions, StarGANTrainer, train_stargan
    from unreid.generator.style_grid import save_camera_grid

    config = load_config(files=args.config, overrides=args.overrides)
    validate_config(config)
    g = config.generator.training
    _, pixels, cameras, device = _train_images(config, g.height, g.width, progress=not args.no_progress)
    num_cameras = int(cameras.max()) + 1
    trainer = StarGANTrainer(num_cameras=num_cameras, options=StarGANOptions.from_config(g), device=device)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.resume and (out / LAST_CHECKPOINT).is_file():
        from unreid.engine.checkpoint import load_checkpoint

        trainer.load_state_dict(load_checkpoint(out / LAST_CHECKPOINT, required=(), map_location=device,
                                                what="generator checkpoint"))
        logger.info("resumed generator training at step %d", trainer.steps_done)
    grid_rows = torch.linspace(0, pixels.shape[0] - 1, 6).long()  # the same sources in every grid

    def save(path: Path) -> None:
        payload = checkpoint_payload(trainer_state=trainer.state_dict(), height=g.height, width=g.width)
        torch.save(payload, path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)

    def on_every(t: StarGANTrainer) -> None:
        if g.sample_every > 0 and t.steps_done % g.sample_every == 0:
            save_camera_grid(path=out / "samples" / f"step_{t.steps_done:07d}.png",
                             renderer=LearnedCameraStyle(translator=t.generator, height=g.height, width=g.width),
                             pixels=pixels[grid_rows.to(pixels.device)], cameras=cameras[grid_rows.to(cameras.device)])
        if g.checkpoint_every > 0 and t.steps_done % g.checkpoint_every == 0:
            save(out / LAST_CHECKPOINT)

    started = time.perf_counter()
    every = math.gcd(g.sample_every, g.checkpoint_every)  # 0 when both are off
    train_stargan(trainer=trainer, pixels=pixels, cameras=cameras, steps=g.steps, progress=not args.no_progress,
                  every=every, on_every=on_every)
    save(out / LAST_CHECKPOINT)
    save(out / FINAL_CHECKPOINT)
    print(f"generator: {trainer.steps_done} steps, {time.perf_counter() - started:.0f} s, saved {out / FINAL_CHECKPOINT}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    from unreid.config.loader import load_config
    from unreid.generator.camera_style import CameraStyleGenerator
    from unreid.generator.learned_style import CameraStyleRenderer, load_learned_style
    from unreid.generator.rendering import RenderOptions, render_to_folder

    config = load_config(files=args.config, overrides=args.overrides)
    renderer: CameraStyleRenderer
    if args.kind == "learned":
        if args.checkpoint is None:
            raise ValueError("generator render --kind learned needs --checkpoint OUT/generator.pth")
        learned = load_learned_style(args.checkpoint)
        height, width = args.height or learned.height, args.width or learned.width
        split, pixels, cameras, device = _train_images(config, height, width, progress=not args.no_progress)
        renderer = learned.to(device)
    else:
        height, width = args.height or 128, args.width or 64
        split, pixels, cameras, device = _train_images(config, height, width, progress=not args.no_progress)
        colour = CameraStyleGenerator(num_cameras=int(cameras.max()) + 1).to(device)
        colour.fit(pixels, cameras)
        renderer = colour
    started = time.perf_counter()
    per_image = config.generator.per_image if args.per_image is None else args.per_image
    entries = render_to_folder(renderer=renderer, pixels=pixels, records=split.train, out_dir=args.out,
                               options=RenderOptions(per_image=per_image, batch_size=args.batch_size),
                               progress=not args.no_progress,
                               meta={"kind": args.kind,
                                     "checkpoint": str(args.checkpoint or "") if args.kind == "learned" else "",
                                     "height": height, "width": width})
    seconds = time.perf_counter() - started
    rate = len(entries) / max(seconds, 1e-9)
    print(f"rendered {len(entries)} images into {args.out} in {seconds:.1f} s ({rate:.0f} images/s)")
    return 0
