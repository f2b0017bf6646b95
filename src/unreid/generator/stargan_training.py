"""Training the camera-style generator from camera ids alone (StarGAN's objective).

Choi et al., "StarGAN", CVPR 2018, trains one generator ``G(x, c)`` and one
discriminator ``D`` with four terms; each is one line of :meth:`StarGANTrainer.step`:

* adversarial: least-squares GAN (Mao et al., "Least Squares Generative Adversarial
  Networks", ICCV 2017), cheaper than StarGAN's WGAN-GP and stable at this size;
* camera classification: ``D`` learns the camera of *real* images, ``G`` is rewarded
  when ``D`` reads the *target* camera in a generated image;
* cycle reconstruction: ``G(G(x, t), s) ~ x`` keeps what is not camera style;
* identity preservation: ``G(x, s) ~ x``, the identity-mapping loss CamStyle uses to
  keep a person's colours (Zhong et al., "Camera Style Adaptation", CVPR 2018).

State changes happen in :meth:`StarGANTrainer.step` (one optimisation step of both
networks); :meth:`StarGANTrainer.state_dict` holds everything ``--resume`` needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from unreid.config.schema import GeneratorTrainingConfig
from unreid.generator.stargan import CameraDiscriminator, CameraStyleTranslator, to_unit_range

logger = logging.getLogger(__name__)

_DEFAULTS = GeneratorTrainingConfig()  # each default is defined once, in the schema (generator.training)


@dataclass(frozen=True)
class StarGANOptions:
    """Network sizes, loss weights and the optimiser (StarGAN's Adam settings); the defaults are those
    of the ``generator.training`` section (:class:`~unreid.config.schema.GeneratorTrainingConfig`)."""

    channels: int = _DEFAULTS.channels
    num_residual: int = _DEFAULTS.residual
    disc_channels: int = _DEFAULTS.channels
    disc_layers: int = 4
    lambda_cls: float = _DEFAULTS.lambda_cls
    lambda_cycle: float = _DEFAULTS.lambda_cycle
    lambda_identity: float = _DEFAULTS.lambda_identity
    lr: float = _DEFAULTS.lr
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = _DEFAULTS.batch_size

    @classmethod
    def from_config(cls, g: GeneratorTrainingConfig) -> StarGANOptions:
        """The options of a ``generator.training`` section (one width for both networks)."""
        return cls(channels=g.channels, num_residual=g.residual, disc_channels=g.channels, lambda_cls=g.lambda_cls,
                   lambda_cycle=g.lambda_cycle, lambda_identity=g.lambda_identity, lr=g.lr, batch_size=g.batch_size)

    def __post_init__(self) -> None:
        if self.channels < 1 or self.disc_channels < 1 or self.num_residual < 0 or self.disc_layers < 1:
            raise ValueError(f"StarGANOptions: network sizes must be positive, got {self}")
        if self.batch_size < 2:
            raise ValueError(f"StarGANOptions.batch_size={self.batch_size}: need at least 2")


def random_other_cameras(cameras: Tensor, num_cameras: int, *, generator: torch.Generator | None = None) -> Tensor:
    """For each camera id in ``cameras [B]`` a uniformly drawn *different* camera id."""
    offset = torch.randint(1, num_cameras, cameras.shape, device=cameras.device, generator=generator)  # [B]
    return (cameras + offset) % num_cameras  # [B], never equal to cameras


class StarGANTrainer:
    """Generator, discriminator and their optimisers, on the device of ``device``.

    Args:
        num_cameras: ``M``.
        options: sizes, loss weights, learning rate.
        device: where the networks live.
    """

    def __init__(self, *, num_cameras: int, options: StarGANOptions, device: torch.device | str = "cpu") -> None:
        self.options = options
        self.num_cameras = num_cameras
        self.generator = CameraStyleTranslator(
            num_cameras=num_cameras, channels=options.channels, num_residual=options.num_residual
        ).to(device)
        self.discriminator = CameraDiscriminator(
            num_cameras=num_cameras, channels=options.disc_channels, num_layers=options.disc_layers
        ).to(device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=options.lr, betas=options.betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=options.lr, betas=options.betas)
        self.steps_done = 0

    def step(self, real: Tensor, cameras: Tensor, *, generator: torch.Generator | None = None) -> dict[str, float]:
        """One discriminator and one generator update on ``real [B, 3, H, W]`` in ``[-1, 1]``."""
        o, g_net, d_net = self.options, self.generator, self.discriminator
        g_net.train()
        d_net.train()
        targets = random_other_cameras(cameras, self.num_cameras, generator=generator)  # [B]

        fake = g_net(real, targets)  # [B, 3, H, W]
        real_scores, real_cams = d_net(real)  # [B, h, w], [B, M]
        fake_scores, _ = d_net(fake.detach())  # [B, h, w]
        d_adv = (F.mse_loss(real_scores, torch.ones_like(real_scores))
                 + F.mse_loss(fake_scores, torch.zeros_like(fake_scores)))
        d_cls = F.cross_entropy(real_cams, cameras)
        d_loss = d_adv + o.lambda_cls * d_cls
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        fake_scores, fake_cams = d_net(fake)  # [B, h, w], [B, M]
        g_adv = F.mse_loss(fake_scores, torch.ones_like(fake_scores))
        g_cls = F.cross_entropy(fake_cams, targets)
        g_cycle = F.l1_loss(g_net(fake, cameras), real)
        g_identity = F.l1_loss(g_net(real, cameras), real)
        g_loss = g_adv + o.lambda_cls * g_cls + o.lambda_cycle * g_cycle + o.lambda_identity * g_identity
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.steps_done += 1
        with torch.no_grad():
            d_acc = (real_cams.argmax(1) == cameras).float().mean()
            g_acc = (fake_cams.argmax(1) == targets).float().mean()
            return {"d_adv": float(d_adv), "d_cls": float(d_cls), "g_adv": float(g_adv), "g_cls": float(g_cls),
                    "cycle": float(g_cycle), "identity": float(g_identity),
                    "d_cam_acc": float(d_acc), "fake_target_acc": float(g_acc)}

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume or to rebuild the generator."""
        return {"generator": self.generator.state_dict(), "discriminator": self.discriminator.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "steps_done": self.steps_done,
                "num_cameras": self.num_cameras, "options": asdict(self.options)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (same camera count and sizes)."""
        if int(state["num_cameras"]) != self.num_cameras:
            raise ValueError(f"checkpoint has {state['num_cameras']} cameras, this data set {self.num_cameras}")
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.steps_done = int(state["steps_done"])


def train_stargan(
    *, trainer: StarGANTrainer, pixels: Tensor, cameras: Tensor, steps: int, seed: int = 0,
    progress: bool = True, every: int = 0, on_every: Callable[[StarGANTrainer], None] | None = None,
) -> list[dict[str, float]]:
    """Train until ``trainer.steps_done == steps`` on ``uint8 pixels [N, 3, H, W]``; returns per-step losses.

    Args:
        trainer: the networks (possibly resumed part-way).
        pixels: training images at the generator's resolution.
        cameras: ``[N]`` camera id of each image.
        steps: total number of steps (including those already done).
        seed: batch order and target cameras; step ``s`` is reproducible from ``seed``.
        every, on_every: call ``on_every(trainer)`` after every ``every`` steps (sample grids,
            checkpoints); ``0`` never.
    """
    if pixels.shape[0] != cameras.shape[0]:
        raise ValueError(f"{pixels.shape[0]} images but {cameras.shape[0]} camera ids")
    device = next(trainer.generator.parameters()).device
    cameras = cameras.long().to(device)  # [N]
    rng = torch.Generator(device=device)
    history: list[dict[str, float]] = []
    bar = tqdm(range(trainer.steps_done, steps), total=steps, initial=trainer.steps_done, desc="generator",
               disable=not progress)
    for step in bar:
        rng.manual_seed(seed * 1_000_003 + step)
        rows = torch.randint(pixels.shape[0], (trainer.options.batch_size,), device=device, generator=rng)  # [B]
        real = to_unit_range(pixels[rows.to(pixels.device)].to(device))  # [B, 3, H, W]
        flip = torch.rand(rows.shape[0], device=device, generator=rng) < 0.5  # [B]
        real = torch.where(flip[:, None, None, None], real.flip(-1), real)  # [B, 3, H, W]
        row = trainer.step(real, cameras[rows], generator=rng)
        history.append(row)
        bar.set_postfix(cls=f"{row['fake_target_acc']:.2f}", cyc=f"{row['cycle']:.3f}")
        if on_every is not None and every > 0 and trainer.steps_done % every == 0:
            on_every(trainer)
    if history:
        logger.info("generator: %d steps, last losses %s", trainer.steps_done,
                    " ".join(f"{k} {v:.3f}" for k, v in history[-1].items()))
    return history
