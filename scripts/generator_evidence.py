"""Camera-style generators on the synthetic set: do generated images look like their target camera and keep identity?

Prints, for the colour baseline and the learned (StarGAN) generator, the share of
generated images a real-image camera classifier assigns to the *target* camera and the
share whose nearest real image (source left out) is the source's person, with chance
levels. Runs on a CPU in about a minute with the defaults::

    PYTHONPATH=src python scripts/generator_evidence.py --steps 400
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from unreid.data.image_bank import decode_images
from unreid.data.registry import load_dataset
from unreid.data.synthetic import SyntheticConfig
from unreid.generator.camera_style import CameraStyleGenerator
from unreid.generator.learned_style import LearnedCameraStyle
from unreid.generator.rendering import target_cameras_for
from unreid.generator.stargan_training import StarGANOptions, StarGANTrainer, train_stargan
from unreid.generator.style_evidence import StyleEvidence, measure_style_evidence, predict_cameras, train_camera_probe
from unreid.generator.style_grid import save_camera_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/tmp/unreid-generator-evidence"))
    parser.add_argument("--identities", type=int, default=60)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--camera-strength", type=float, default=1.0)
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--residual", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--grid", type=Path, default=None, help="save a sample grid of the learned generator here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    results = run_evidence(args)
    for name, evidence in results.items():
        print(evidence.as_line(name))
    print(f"total {time.perf_counter() - started:.0f} s on {args.threads} CPU thread(s)")


def run_evidence(args: argparse.Namespace) -> dict[str, StyleEvidence]:
    config = SyntheticConfig(num_identities=args.identities, num_cameras=args.cameras,
                             cameras_per_identity=(2, args.cameras), height=args.height, width=args.width,
                             seed=args.seed, camera_strength=args.camera_strength)
    split = load_dataset("synthetic", args.root / f"s{args.seed}-i{args.identities}-c{args.cameras}-{args.camera_strength}",
                         config=config)
    real = decode_images([r.path for r in split.train], height=args.height, width=args.width, progress=False)
    cams = torch.tensor([r.camera_id for r in split.train])  # [N]
    pids = np.array([r.person_id for r in split.train])
    held = split.query + split.gallery
    held_pixels = decode_images([r.path for r in held], height=args.height, width=args.width, progress=False)
    probe = train_camera_probe(pixels=real, cameras=cams, num_cameras=args.cameras, seed=args.seed)
    accuracy = float((predict_cameras(probe, held_pixels) == torch.tensor([r.camera_id for r in held])).float().mean())
    source, target = target_cameras_for(cams, num_cameras=args.cameras)  # every image into every other camera

    colour = CameraStyleGenerator(num_cameras=args.cameras)
    colour.fit(real, cams)
    trainer = StarGANTrainer(num_cameras=args.cameras, options=StarGANOptions(
        channels=args.channels, num_residual=args.residual, disc_channels=args.channels, disc_layers=3,
        lr=args.lr, batch_size=args.batch_size))
    t0 = time.perf_counter()
    train_stargan(trainer=trainer, pixels=real, cameras=cams, steps=args.steps, seed=args.seed, progress=False)
    print(f"learned generator: {args.steps} steps in {time.perf_counter() - t0:.0f} s")
    learned = LearnedCameraStyle(translator=trainer.generator, height=args.height, width=args.width)
    if args.grid is not None:
        save_camera_grid(path=args.grid, renderer=learned, pixels=real, cameras=cams)
    results = {}
    for name, renderer in (("identity", None), ("colour", colour), ("learned", learned)):
        generated = real[source] if renderer is None else renderer.transfer(
            real[source], source_cameras=cams[source], target_cameras=target)
        results[name] = measure_style_evidence(
            probe=probe, probe_accuracy=accuracy, real=real, person_ids=pids, generated=generated,
            source_rows=source, target_cameras=target, num_cameras=args.cameras)
    return results


if __name__ == "__main__":
    main()
