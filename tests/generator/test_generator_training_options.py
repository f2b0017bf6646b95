"""Every ``generator.training`` option reaches the generator: the field of :class:`StarGANOptions` it sets, the
networks and optimisers built from it, each loss weight scaling its own term, and the four options that
`unreid generator train` reads itself (``height``, ``width``, ``sample_every``, ``checkpoint_every``)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from torch import Tensor, nn

from unreid.cli.generator_command import LAST_CHECKPOINT
from unreid.cli.main import main
from unreid.config.schema import GeneratorTrainingConfig
from unreid.generator import stargan_training
from unreid.generator.stargan_training import StarGANOptions, StarGANTrainer

SMALL = {"channels": 4, "residual": 1}  # fast networks for the effect tests


@pytest.mark.parametrize("option, value, fields", [
    ("batch_size", 6, ("batch_size",)),
    ("channels", 8, ("channels", "disc_channels")),
    ("residual", 2, ("num_residual",)),
    ("lr", 2e-4, ("lr",)),
    ("lambda_cls", 0.5, ("lambda_cls",)),
    ("lambda_cycle", 3.0, ("lambda_cycle",)),
    ("lambda_identity", 0.0, ("lambda_identity",)),
])
def test_each_option_sets_its_field_of_the_generator_options(option: str, value: float, fields: tuple[str, ...]) -> None:
    default = StarGANOptions.from_config(GeneratorTrainingConfig())
    options = StarGANOptions.from_config(GeneratorTrainingConfig(**{option: value}))  # type: ignore[arg-type]
    for name in fields:
        assert getattr(default, name) != value and getattr(options, name) == value, name
    untouched = {k: v for k, v in vars(default).items() if k not in fields}
    assert {k: v for k, v in vars(options).items() if k not in fields} == untouched


def _trainer(**training: float) -> StarGANTrainer:
    torch.manual_seed(0)
    config = GeneratorTrainingConfig(**{**SMALL, **training})  # type: ignore[arg-type]
    return StarGANTrainer(num_cameras=3, options=StarGANOptions.from_config(config))


def test_channels_residual_and_lr_build_the_networks_and_optimisers() -> None:
    trainer = _trainer(channels=6, residual=3, lr=3e-4)
    first_g, first_d = trainer.generator.encoder[0], trainer.discriminator.trunk[0]
    assert isinstance(first_g, nn.Conv2d) and isinstance(first_d, nn.Conv2d)
    assert first_g.out_channels == 6 and first_d.out_channels == 6
    assert sum(type(m).__name__ == "_ResidualBlock" for m in trainer.generator.modules()) == 3
    assert [g["lr"] for opt in (trainer.opt_g, trainer.opt_d) for g in opt.param_groups] == [3e-4, 3e-4]


def _gradient_at_step(optimizer_of: str, **training: float) -> Tensor:
    """The gradient one :meth:`StarGANTrainer.step` hands to the ``opt_g`` or ``opt_d`` optimiser, from a fixed start."""
    trainer = _trainer(**training)
    with torch.no_grad():  # away from the identity map, where the cycle and identity terms are flat
        for p in trainer.generator.parameters():
            p.add_(0.05 * torch.randn_like(p))
    optimizer: torch.optim.Optimizer = getattr(trainer, optimizer_of)
    seen: list[Tensor] = []

    def capture(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        params = [p for group in opt.param_groups for p in group["params"]]
        seen.append(torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).flatten() for p in params]))

    optimizer.register_step_pre_hook(capture)
    real = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1  # [4, 3, 16, 16]
    trainer.step(real, torch.tensor([0, 1, 2, 0]), generator=torch.Generator().manual_seed(2))
    (gradient,) = seen
    return gradient


@pytest.mark.parametrize("option, optimizer_of", [
    ("lambda_cls", "opt_d"),  # D's loss: adversarial + lambda_cls * camera classification of real images
    ("lambda_cycle", "opt_g"),  # G's loss: adversarial + lambda_cls * cls + lambda_cycle * cycle + lambda_identity * id
    ("lambda_identity", "opt_g"),
])
def test_each_loss_weight_multiplies_its_own_term(option: str, optimizer_of: str) -> None:
    g0, g1, g2 = (_gradient_at_step(optimizer_of, **{option: w}) for w in (0.0, 1.0, 2.0))
    term = g1 - g0  # the gradient of the weighted term alone
    assert term.norm() > 1e-3 * g0.norm()
    torch.testing.assert_close(g2 - g0, 2 * term, rtol=1e-4, atol=1e-6)  # weight 2: twice that term


def _crops(root: Path, count: int) -> Path:
    for i in range(count):
        path = root / f"cam{1 + i % 2}" / f"{i:03d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (24, 48), (zlib.crc32(path.name.encode()) % 256, 60 * (i % 2), 120)).save(path)
    return root


def test_generator_train_reads_size_batch_samples_and_checkpoints_from_the_section(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "gen"
    batches: list[tuple[int, ...]] = []
    checkpointed: list[int | None] = []  # after each step: the step of the resumable checkpoint on disk
    train = stargan_training.train_stargan

    def observed(*, trainer: StarGANTrainer, on_every: Callable[[StarGANTrainer], None], **kwargs: Any) -> Any:
        step = trainer.step

        def recorded_step(real: Tensor, cameras: Tensor, **step_kwargs: Any) -> dict[str, float]:
            batches.append(tuple(real.shape))
            return step(real, cameras, **step_kwargs)

        def recorded_every(t: StarGANTrainer) -> None:
            on_every(t)
            last = out / LAST_CHECKPOINT
            checkpointed.append(int(torch.load(last, weights_only=False)["steps_done"]) if last.is_file() else None)

        monkeypatch.setattr(trainer, "step", recorded_step)
        return train(trainer=trainer, on_every=recorded_every, **kwargs)

    monkeypatch.setattr(stargan_training, "train_stargan", observed)
    settings = {"steps": 6, "batch_size": 3, "height": 32, "width": 16, "channels": 4, "residual": 0,
                "sample_every": 2, "checkpoint_every": 3}
    assert main(["generator", "train", "--out", str(out), "--no-progress",
                 "--set", "data.dataset=folder", "--set", f"data.root={_crops(tmp_path / 'crops', 8)}",
                 "--set", "train.device=cpu", "--set", "train.threads=1",
                 *[arg for key, value in settings.items() for arg in ("--set", f"generator.training.{key}={value}")]]) == 0
    assert batches == [(3, 3, 32, 16)] * 6  # batch_size images of height x width per step
    assert sorted(p.name for p in (out / "samples").iterdir()) == [f"step_{s:07d}.png" for s in (2, 4, 6)]
    with Image.open(out / "samples" / "step_0000002.png") as grid:
        assert grid.size == (3 * 16, 6 * 32)  # 6 sources x (source + 2 cameras), each 32 x 16
    assert checkpointed == [None, None, 3, 3, 3, 6]
    final = torch.load(out / "generator.pth", weights_only=False)
    assert (final["steps_done"], final["height"], final["width"]) == (6, 32, 16)
