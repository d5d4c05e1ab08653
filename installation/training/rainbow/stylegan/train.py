"""Training loop of the rainbow generator (StyleGAN2-style, small enough for a CPU).

Each iteration: a generator step with the non-saturating logistic loss (the mapping tracks
``w_avg`` here), then a discriminator step on real images (mirrored at random) and the
generator step's fakes, with lazy R1 regularisation on the reals every ``r1_every``
iterations, and an exponential moving average (EMA) of the generator, which is what gets
exported. Checkpoints are atomic and ``--resume`` continues bit for bit; sample grids of the
EMA generator at psi 0.8 go to the run folder as it trains.

The default data set is ``dataset_images`` procedural scenes from
``installation.training.rainbow.renderer`` (cached in the run folder); ``images`` names a
folder of photos instead (``installation.training.rainbow.stylegan.image_folder``).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn
from torch.nn import functional as F
from tqdm import tqdm

from installation.errors import TrainingError
from installation.training.common.cached_array import cached_array
from installation.training.common.checkpoints import (
    CHECKPOINT_NAME,
    CheckpointKind,
    save_checkpoint,
)
from installation.training.common.image_grid import write_grid
from installation.training.common.image_tensors import images_to_tensor
from installation.training.common.parameter_count import parameter_count
from installation.training.common.seeding import restore_rng_state, rng_state, seed_everything
from installation.training.common.walk_speed_loss import WalkSpeedLoss
from installation.training.rainbow.renderer import render_rainbow
from installation.training.rainbow.stylegan.model import (
    RainbowDiscriminator,
    RainbowGenerator,
    tensor_to_images,
)
from installation.training.rainbow.stylegan.patch_energy_loss import patch_energy_loss

CHECKPOINTS = CheckpointKind("rainbow", "rainbow", "installation train rainbow")


@dataclass(frozen=True)
class RainbowTrainConfig:
    """Everything that defines a rainbow training run (defaults: about 103 min on 2 CPU cores)."""

    resolution: int = 128
    w_dim: int = 256
    mapping_layers: int = 4
    channel_base: int = 2048
    channel_max: int = 128
    dataset_images: int = 5000
    images: str | None = None
    iterations: int = 6500
    batch: int = 8
    lr: float = 0.0025
    r1_gamma: float = 1.0
    r1_every: int = 16
    ema_half_life_images: int = 2000
    ema_rampup: float = 0.1  # the EMA half-life is at most this share of the images seen
    mirror: bool = True
    patch_loss_weight: float = 50.0  # weight of the patch energy distance in the generator loss
    patch_loss_real_images: int = 64  # real images per iteration that the generated patches match
    walk_loss_weight: float = 8.0  # weight of the walk-speed term (per iteration; applied lazily)
    walk_loss_every: int = 4  # the walk-speed term runs every this many iterations
    walk_loss_pairs: int = 4  # walk steps (image pairs) per walk-speed evaluation
    walk_loss_mapping_only: bool = True  # the walk-speed term trains only the mapping network
    time_budget_minutes: float | None = 100.0  # stop early (and say so) past this wall time
    checkpoint_every: int = 200
    samples_every: int = 500
    threads: int = 2
    seed: int = 0
    device: str = "cpu"

    @staticmethod
    def quick() -> RainbowTrainConfig:
        """A tiny configuration that trains in seconds (for tests)."""
        return RainbowTrainConfig(
            resolution=32,
            w_dim=32,
            mapping_layers=2,
            channel_base=256,
            channel_max=32,
            dataset_images=16,
            iterations=12,
            batch=4,
            r1_every=4,
            ema_half_life_images=50,
            walk_loss_every=2,
            walk_loss_pairs=2,
            checkpoint_every=5,
            samples_every=6,
            time_budget_minutes=None,
        )

    def training_seeds(self) -> range:
        """Renderer seeds of the training scenes (held-out scenes use seeds >= 1,000,000)."""
        start = self.seed * 100_000
        return range(start, start + self.dataset_images)

    def generator_kwargs(self) -> dict[str, int]:
        return {
            "resolution": self.resolution,
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "channel_base": self.channel_base,
            "channel_max": self.channel_max,
        }


def build_generator(config: RainbowTrainConfig) -> RainbowGenerator:
    return RainbowGenerator(**config.generator_kwargs())


def build_discriminator(config: RainbowTrainConfig) -> RainbowDiscriminator:
    return RainbowDiscriminator(config.resolution, config.channel_base, config.channel_max)


# --- data ------------------------------------------------------------------------------------


def load_or_make_dataset(config: RainbowTrainConfig, run_dir: Path) -> NDArray[np.uint8]:
    """Training images [N, R, R, 3] uint8, cached as ``dataset.npy`` in the run folder."""
    seeds = config.training_seeds()

    def make() -> NDArray[np.uint8]:
        if config.images:
            from installation.training.rainbow.stylegan.image_folder import load_image_folder

            return load_image_folder(Path(config.images), config.resolution)
        data = np.empty((len(seeds), config.resolution, config.resolution, 3), dtype=np.uint8)
        for i, seed in enumerate(tqdm(seeds, desc="rendering rainbows", unit="img")):
            data[i] = render_rainbow(seed, config.resolution)
        return data

    made_from = {
        "images": config.images,
        "resolution": config.resolution,
        "seeds": [seeds.start, seeds.stop] if config.images is None else None,
    }
    return cached_array(run_dir, "dataset", made_from, make)


# --- checkpoints -----------------------------------------------------------------------------


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint written by this module; TrainingError if it is missing or not one."""
    return CHECKPOINTS.load(path)


def config_from_checkpoint(state: dict[str, Any]) -> RainbowTrainConfig:
    return RainbowTrainConfig(**state["config"])


def ema_generator_from_checkpoint(
    state: dict[str, Any],
) -> tuple[RainbowTrainConfig, RainbowGenerator]:
    """The EMA generator (the one to export) of a checkpoint, in eval mode on the CPU."""
    config = config_from_checkpoint(state)
    generator = build_generator(config)
    generator.load_state_dict(state["modules"]["generator_ema"])
    return config, generator.eval()


# --- the trainer -----------------------------------------------------------------------------


class RainbowTrainer:
    """Runs (or resumes) the GAN training of one run folder."""

    def __init__(self, config: RainbowTrainConfig, run_dir: Path, resume: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.checkpoint_path = self.run_dir / CHECKPOINT_NAME
        previous = CHECKPOINTS.previous_state(self.run_dir, resume)
        if previous is not None:
            config = replace(
                config_from_checkpoint(previous), threads=config.threads, device=config.device
            )
        validate_config(config)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.device = torch.device(config.device)
        torch.set_num_threads(max(1, config.threads))
        seed_everything(config.seed)
        self.generator = build_generator(config).to(self.device)
        self.discriminator = build_discriminator(config).to(self.device)
        self.generator_ema = copy.deepcopy(self.generator).eval()
        self.generator_ema.requires_grad_(False)
        betas = (0.0, 0.99)
        # Lazy R1: the discriminator's Adam is adjusted for steps with the extra term.
        c = config.r1_every / (config.r1_every + 1)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), lr=config.lr * c, betas=(0.0, 0.99**c)
        )
        self.iteration = 0
        self.elapsed = 0.0
        self.stopped_early = False
        self.done = False
        self.rng = torch.Generator().manual_seed(config.seed + 1)
        self.walk_loss = WalkSpeedLoss()
        self.sample_z = torch.randn(
            24, self.generator.z_dim, generator=torch.Generator().manual_seed(1234)
        )
        if previous is not None:
            self._restore(previous)
        self.data = load_or_make_dataset(config, self.run_dir)

    # --- state ---------------------------------------------------------------------------

    def _modules(self) -> dict[str, nn.Module]:
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "generator_ema": self.generator_ema,
        }

    def _state(self) -> dict[str, Any]:
        return {
            "kind": CHECKPOINTS.kind,
            "config": asdict(self.config),
            "iteration": self.iteration,
            "elapsed_seconds": self.elapsed,
            "stopped_early": self.stopped_early,
            "done": self.done,
            "walk_mean_speed": self.walk_loss.mean_speed,
            "modules": {k: _cpu_state(v) for k, v in self._modules().items()},
            "optimizers": {"g": self.opt_g.state_dict(), "d": self.opt_d.state_dict()},
            "rng": rng_state(self.rng),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        for name, module in self._modules().items():
            module.load_state_dict(state["modules"][name])
        self.opt_g.load_state_dict(state["optimizers"]["g"])
        self.opt_d.load_state_dict(state["optimizers"]["d"])
        self.iteration = int(state["iteration"])
        self.elapsed = float(state["elapsed_seconds"])
        self.stopped_early = bool(state["stopped_early"])
        self.done = bool(state["done"])
        self.walk_loss.mean_speed = float(state["walk_mean_speed"])
        restore_rng_state(state["rng"], self.rng)

    def save(self) -> None:
        save_checkpoint(self.checkpoint_path, self._state())

    # --- training ------------------------------------------------------------------------

    def _real_batch(self, n: int) -> Tensor:
        cfg = self.config
        idx = torch.randint(0, len(self.data), (n,), generator=self.rng).numpy()
        x = images_to_tensor(torch.from_numpy(np.ascontiguousarray(self.data[np.sort(idx)])))
        if cfg.mirror:
            flip = torch.rand(n, generator=self.rng) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
        return x.to(self.device)

    def _latents(self, n: int) -> Tensor:
        return torch.randn(n, self.generator.z_dim, generator=self.rng).to(self.device)

    def _update_ema(self) -> None:
        cfg = self.config
        seen = (self.iteration + 1) * cfg.batch
        half_life = min(cfg.ema_half_life_images, max(1.0, seen * cfg.ema_rampup))
        beta = 0.5 ** (cfg.batch / half_life)
        with torch.no_grad():
            for p_ema, p in zip(
                self.generator_ema.parameters(), self.generator.parameters(), strict=True
            ):
                p_ema.copy_(p.detach().lerp(p_ema, beta))
            for b_ema, b in zip(
                self.generator_ema.buffers(), self.generator.buffers(), strict=True
            ):
                b_ema.copy_(b)

    def step(self) -> dict[str, float]:
        """One generator step and one discriminator step; returns the losses."""
        cfg = self.config
        g, d = self.generator, self.discriminator
        # Generator: non-saturating loss plus the patch distribution term; the mapping
        # updates w_avg here.
        d.requires_grad_(False)
        fake = g(self._latents(cfg.batch), update_w_avg=True)
        g_loss = F.softplus(-d(fake)).mean()
        patch = torch.zeros((), device=self.device)
        if cfg.patch_loss_weight > 0:
            real = self._real_batch(cfg.patch_loss_real_images)
            patch = patch_energy_loss(fake, real, self.rng)
        self.opt_g.zero_grad(set_to_none=True)
        (g_loss + cfg.patch_loss_weight * patch).backward()  # type: ignore[no-untyped-call]
        walk = 0.0
        if cfg.walk_loss_weight > 0 and self.iteration % cfg.walk_loss_every == 0:
            walk = self.backward_walk_term()
        self.opt_g.step()
        d.requires_grad_(True)
        # Discriminator: logistic loss, plus lazy R1 on the reals.
        real = self._real_batch(cfg.batch)
        do_r1 = cfg.r1_gamma > 0 and self.iteration % cfg.r1_every == 0
        real.requires_grad_(do_r1)
        real_logits = d(real)
        d_loss = F.softplus(d(fake.detach())).mean() + F.softplus(-real_logits).mean()
        r1 = torch.zeros((), device=self.device)
        if do_r1:
            (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            r1 = grad.pow(2).sum(dim=(1, 2, 3)).mean()
            d_loss = d_loss + (cfg.r1_gamma / 2) * r1 * cfg.r1_every
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()  # type: ignore[no-untyped-call]
        self.opt_d.step()
        self._update_ema()
        return {
            "g": g_loss.item(),
            "d": d_loss.item(),
            "r1": r1.item(),
            "patch": patch.item(),
            "walk": walk,
        }

    def backward_walk_term(self) -> float:
        """Add the walk-speed term's gradients to the generator's; returns the term.

        Lazy, like R1: it runs every ``walk_loss_every`` iterations with its weight scaled to
        match. With ``walk_loss_mapping_only`` the synthesis network gets no gradient from it
        (gradients still flow through it to ``w``): the walk is evened out by how z maps to w,
        not by fading the image features that move.
        """
        cfg, g = self.config, self.generator
        g.synthesis.requires_grad_(not cfg.walk_loss_mapping_only)
        try:
            walk = self.walk_loss(g, cfg.walk_loss_pairs, self.rng)
            (cfg.walk_loss_weight * cfg.walk_loss_every * walk).backward()  # type: ignore[no-untyped-call]
        finally:
            g.synthesis.requires_grad_(True)
        return float(walk.detach())

    def train(self, stop_after: int | None = None) -> Path:
        """Train to the configured iterations; ``stop_after`` iterations of this call (tests)."""
        cfg = self.config
        if self.done:
            return self.checkpoint_path
        bar = tqdm(
            total=cfg.iterations,
            initial=self.iteration,
            desc="rainbow GAN",
            unit="it",
            dynamic_ncols=True,
        )
        budget = None if cfg.time_budget_minutes is None else cfg.time_budget_minutes * 60.0
        r1_last = walk_last = 0.0
        while self.iteration < cfg.iterations:
            if stop_after is not None:
                if stop_after <= 0:
                    bar.close()
                    self.save()
                    return self.checkpoint_path
                stop_after -= 1
            if budget is not None and self.elapsed > budget:
                self.stopped_early = True
                tqdm.write(
                    f"time budget of {cfg.time_budget_minutes} min reached at iteration "
                    f"{self.iteration}; finishing the run there"
                )
                break
            t0 = time.perf_counter()
            losses = self.step()
            self.iteration += 1
            self.elapsed += time.perf_counter() - t0
            r1_last = losses["r1"] if losses["r1"] else r1_last
            walk_last = losses["walk"] if losses["walk"] else walk_last
            bar.update(1)
            bar.set_postfix(
                g=f"{losses['g']:.3f}",
                d=f"{losses['d']:.3f}",
                r1=f"{r1_last:.3f}",
                patch=f"{losses['patch']:.4f}",
                walk=f"{walk_last:.3f}",
            )
            if self.iteration % cfg.checkpoint_every == 0:
                self.save()
            if self.iteration % cfg.samples_every == 0:
                self.write_sample_grid(self.run_dir / f"samples_{self.iteration:06d}.png")
        bar.close()
        self._finish()
        return self.checkpoint_path

    # --- samples -------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, z: Tensor, psi: float) -> NDArray[np.uint8]:
        """EMA generator images [N, R, R, 3] uint8 for latents ``z`` at truncation ``psi``."""
        g = self.generator_ema
        out = []
        for chunk in torch.split(z, 16):
            chunk = chunk.to(self.device)
            x = g(chunk, torch.full((chunk.shape[0],), psi, device=self.device))
            out.append(tensor_to_images(x).cpu().numpy())
        return np.concatenate(out)

    def write_sample_grid(self, path: Path, psi: float = 0.8) -> None:
        images = self.generate(self.sample_z, psi)
        write_grid(path, images.reshape(4, 6, *images.shape[1:]))

    def _finish(self) -> None:
        self.write_sample_grid(self.run_dir / "samples.png")
        psis = (0.0, 0.25, 0.5, 0.75, 1.0)
        rows = np.stack([self.generate(self.sample_z[:8], psi) for psi in psis])
        write_grid(self.run_dir / "truncation.png", rows)
        real = np.asarray(self.data[: min(24, len(self.data))])
        if len(real) == 24:
            write_grid(self.run_dir / "real.png", real.reshape(4, 6, *real.shape[1:]))
        self.done = True
        self.save()
        summary = {
            "parameters_generator": parameter_count(self.generator),
            "parameters_discriminator": parameter_count(self.discriminator),
            "iterations": self.iteration,
            "images_seen": self.iteration * self.config.batch,
            "training_seconds": self.elapsed,
            "stopped_early_by_time_budget": self.stopped_early,
            "dataset_images": len(self.data),
        }
        (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))


def _cpu_state(module: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def validate_config(config: RainbowTrainConfig) -> None:
    """TrainingError for settings that cannot train."""
    r = config.resolution
    if r < 8 or r & (r - 1):
        raise TrainingError(
            f"--resolution must be a power of two of at least 8 (e.g. 128 or 256), got {r}."
        )
    if config.iterations < 1:
        raise TrainingError(f"--iterations must be at least 1, got {config.iterations}.")
    if config.threads < 1:
        raise TrainingError(f"--threads must be at least 1, got {config.threads}.")
    if config.device not in ("cpu", "cuda"):
        raise TrainingError(f"--device must be cpu or cuda, got {config.device!r}.")
    if config.device == "cuda" and not torch.cuda.is_available():
        raise TrainingError(
            "--device cuda was asked for but torch sees no CUDA GPU. Install a CUDA build of "
            "torch (see pytorch.org) or train with --device cpu."
        )
