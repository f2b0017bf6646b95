from __future__ import annotations

import pytest
import torch

from unreid.generator.learned_style import LearnedCameraStyle
from unreid.generator.stargan import CameraDiscriminator, CameraStyleTranslator, to_uint8, to_unit_range
from unreid.generator.stargan_training import StarGANOptions, StarGANTrainer, random_other_cameras, train_stargan

TINY = StarGANOptions(channels=4, num_residual=1, disc_channels=4, disc_layers=2, batch_size=4, lr=1e-3)


def test_untrained_generator_is_the_identity_map() -> None:
    g = CameraStyleTranslator(num_cameras=3, channels=4, num_residual=1)
    pixels = torch.randint(3, 253, (5, 3, 16, 8), dtype=torch.uint8)
    out = to_uint8(g(to_unit_range(pixels), torch.tensor([0, 1, 2, 0, 1])))
    assert (out.int() - pixels.int()).abs().max() <= 1  # tanh(atanh(x)) up to rounding


def test_one_step_gives_gradients_and_moves_both_heads() -> None:
    trainer = StarGANTrainer(num_cameras=3, options=TINY)
    real = torch.rand(4, 3, 16, 8) * 2 - 1
    before = trainer.generator.to_colour.weight.clone()
    row = trainer.step(real, torch.tensor([0, 1, 2, 0]))
    assert all(torch.isfinite(torch.tensor(v)) for v in row.values())
    assert not torch.equal(trainer.generator.to_colour.weight, before)
    assert trainer.generator.to_residual.weight.abs().sum() > 0
    for p in trainer.discriminator.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all()


def test_random_other_cameras_never_returns_the_source() -> None:
    cams = torch.arange(4).repeat(500)
    out = random_other_cameras(cams, 4, generator=torch.Generator().manual_seed(0))
    assert (out != cams).all()
    for c in range(4):  # every other camera is drawn
        assert set(out[cams == c].tolist()) == set(range(4)) - {c}


def test_resumed_training_matches_uninterrupted_training() -> None:
    pixels = torch.randint(0, 256, (12, 3, 16, 8), dtype=torch.uint8)
    cams = torch.arange(12) % 3
    torch.manual_seed(0)
    straight = StarGANTrainer(num_cameras=3, options=TINY)
    train_stargan(trainer=straight, pixels=pixels, cameras=cams, steps=3, progress=False)
    torch.manual_seed(0)
    first = StarGANTrainer(num_cameras=3, options=TINY)
    train_stargan(trainer=first, pixels=pixels, cameras=cams, steps=2, progress=False)
    torch.manual_seed(1)  # a different init, overwritten by the checkpoint
    resumed = StarGANTrainer(num_cameras=3, options=TINY)
    resumed.load_state_dict(first.state_dict())
    calls: list[int] = []
    train_stargan(trainer=resumed, pixels=pixels, cameras=cams, steps=3, progress=False, every=1,
                  on_every=lambda t: calls.append(t.steps_done))
    assert calls == [3] and resumed.steps_done == 3
    for a, b in zip(straight.generator.parameters(), resumed.generator.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_learned_style_resizes_to_and_from_its_resolution() -> None:
    style = LearnedCameraStyle(translator=CameraStyleTranslator(num_cameras=2, channels=4, num_residual=0),
                               height=16, width=8)
    pixels = torch.full((2, 3, 32, 16), 128, dtype=torch.uint8)
    out = style.transfer(pixels, source_cameras=torch.tensor([0, 1]), target_cameras=torch.tensor([1, 0]))
    assert out.shape == pixels.shape and out.dtype == torch.uint8
    assert (out.int() - 128).abs().max() <= 1  # untrained: identity, a flat image stays flat


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least 2 cameras"):
        CameraStyleTranslator(num_cameras=1)
    with pytest.raises(ValueError, match="divisible by 4"):
        CameraStyleTranslator(num_cameras=2, channels=4, num_residual=0)(torch.zeros(1, 3, 18, 8), torch.tensor([0]))
    with pytest.raises(ValueError, match="batch_size"):
        StarGANOptions(batch_size=1)
    trainer = StarGANTrainer(num_cameras=3, options=TINY)
    with pytest.raises(ValueError, match="cameras"):
        StarGANTrainer(num_cameras=2, options=TINY).load_state_dict(trainer.state_dict())
    scores, logits = CameraDiscriminator(num_cameras=3, channels=4, num_layers=2)(torch.zeros(2, 3, 16, 8))
    assert scores.shape == (2, 4, 2) and logits.shape == (2, 3)


def test_the_library_defaults_are_the_schema_defaults() -> None:
    from unreid.config.schema import GeneratorTrainingConfig

    g = GeneratorTrainingConfig()
    assert StarGANOptions().batch_size == g.batch_size == 32  # was 16 in the library, 32 in the schema
    assert StarGANOptions() == StarGANOptions.from_config(g)
    custom = StarGANOptions.from_config(GeneratorTrainingConfig(batch_size=6, channels=8, residual=2, lambda_cls=0.0,
                                                                lambda_cycle=3.0, lambda_identity=0.0, lr=2e-4))
    assert (custom.batch_size, custom.channels, custom.disc_channels, custom.num_residual) == (6, 8, 8, 2)
    assert (custom.lambda_cls, custom.lambda_cycle, custom.lambda_identity, custom.lr) == (0.0, 3.0, 0.0, 2e-4)
