"""Evidence on the synthetic set: generated images look like their target camera and keep their person.

``scripts/generator_evidence.py`` prints the same figures at a larger size.
"""

from __future__ import annotations

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
from unreid.generator.style_evidence import measure_style_evidence, predict_cameras, train_camera_probe

CAMERAS = 4


def test_generated_images_reach_their_target_camera_and_keep_identity(tmp_path: Path) -> None:
    # camera_strength=1: cameras differ visibly in colour cast and background, as well as blur and noise
    config = SyntheticConfig(num_identities=40, num_cameras=CAMERAS, cameras_per_identity=(2, CAMERAS), height=64,
                             width=32, seed=0, camera_strength=1.0)
    split = load_dataset("synthetic", tmp_path / "syn", config=config)
    real = decode_images([r.path for r in split.train], height=64, width=32, progress=False)  # [N, 3, 64, 32]
    cams = torch.tensor([r.camera_id for r in split.train])  # [N]
    pids = np.array([r.person_id for r in split.train])
    held = split.query + split.gallery
    probe = train_camera_probe(pixels=real, cameras=cams, num_cameras=CAMERAS, steps=150)
    held_pixels = decode_images([r.path for r in held], height=64, width=32, progress=False)
    accuracy = float((predict_cameras(probe, held_pixels) == torch.tensor([r.camera_id for r in held])).float().mean())
    assert accuracy > 0.9  # the camera probe works on unseen people

    colour = CameraStyleGenerator(num_cameras=CAMERAS)
    colour.fit(real, cams)
    trainer = StarGANTrainer(num_cameras=CAMERAS, options=StarGANOptions(
        channels=8, num_residual=1, disc_channels=8, disc_layers=3, lr=3e-3, batch_size=8))
    train_stargan(trainer=trainer, pixels=real, cameras=cams, steps=100, progress=False)
    learned = LearnedCameraStyle(translator=trainer.generator, height=64, width=32)

    source, target = target_cameras_for(cams, num_cameras=CAMERAS)
    rates = {}
    for name, renderer in (("unchanged", None), ("colour", colour), ("learned", learned)):
        generated = real[source] if renderer is None else renderer.transfer(
            real[source], source_cameras=cams[source], target_cameras=target)
        rates[name] = measure_style_evidence(probe=probe, probe_accuracy=accuracy, real=real, person_ids=pids,
                                             generated=generated, source_rows=source, target_cameras=target,
                                             num_cameras=CAMERAS)
        print(rates[name].as_line(name))
    # the probes can fail: unchanged sources are never read as another camera
    assert rates["unchanged"].target_camera_rate < 0.1 and rates["unchanged"].identity_rate > 0.8
    for name, min_camera in (("colour", 0.8), ("learned", 0.6)):
        evidence = rates[name]
        assert evidence.target_camera_rate > max(min_camera, 2 * evidence.camera_chance), name
        assert evidence.identity_rate > 4 * evidence.identity_chance, name
