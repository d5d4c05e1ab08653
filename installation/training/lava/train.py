"""Training loop of the neural lava lamp.

Two stages, each resumable from the run folder's ``checkpoint.pt``:

1. ``autoencoder``: the encoder maps a pair of consecutive footage frames to a standardised
   latent and the generator decodes it back (L1 on both frames), with the moment penalty
   keeping each latent dimension N(0, 1) across the batch, latent noise so that the
   generator is smooth around the footage's latents, and a patch discriminator (after a
   warm-up) for crisp wax edges.
2. ``stepper``: the footage is encoded into latent trajectories; the stepper learns the
   one-step transition as a Gaussian (drift + per-dimension spread, on slightly noised
   inputs so the drift pulls back towards the footage), and free multi-step rollouts with
   its own deterministic kicks are held to the footage by the moment penalty, a step-size
   match and a sequence discriminator. Rollouts also continue from a pool of states the
   stepper itself reached, so it learns to stay on the footage's manifold for ever.
   The trajectories it learns carry a slow AR(1) dither in every latent dimension, within
   the noise the generator was trained to shrug off: the encoded footage uses only a handful
   of the 64 dimensions, and a stepper that learned those alone kept its kicks off the
   footage's manifold (ghosted wax) and came back to earlier states within a few seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn
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
from installation.training.lava.model import (
    FrameDiscriminator,
    LavaEncoder,
    LavaGenerator,
    LavaStepper,
    SequenceDiscriminator,
    moment_penalty,
    standardise,
    tensor_to_frames,
)
from installation.training.lava.simulator import footage_array

CHECKPOINTS = CheckpointKind("lava_lamp", "lava lamp", "installation train lava")


@dataclass(frozen=True)
class LavaTrainConfig:
    """Everything that defines a lava lamp training run (defaults: ~50 min on 2 CPU cores)."""

    latent_size: int = 64
    base_channels: int = 16
    stepper_hidden: int = 256
    step_seconds: float = 0.1
    footage_clips: int = 12
    footage_steps_per_clip: int = 2500
    video: str | None = None
    autoencoder_iterations: int = 12000
    autoencoder_batch: int = 32
    autoencoder_lr: float = 1e-3
    latent_noise: float = 0.25
    moment_weight: float = 0.05
    adversarial_weight: float = 0.02
    adversarial_start: float = 0.3  # fraction of autoencoder iterations before the discriminator
    stepper_iterations: int = 3000
    stepper_batch: int = 64
    stepper_lr: float = 1e-3
    rollout_steps: int = 8
    input_noise: float = 0.15
    rollout_weight: float = 1.0
    sequence_weight: float = 0.1
    frame_step_weight: float = 1.0  # match the decoded rollouts' frame change to the footage's
    frame_step_batch: int = 6  # pool rollouts decoded for it, every other iteration
    # The footage trajectories the stepper learns carry a slow AR(1) dither of this std in every
    # latent dimension (the generator was trained to shrug off up to ``latent_noise``), so the
    # latent keeps moving in all its dimensions, not only along the few the footage uses.
    dither: float = 0.25
    dither_correlation: float = 0.95  # per step
    latent_smoothing: int = 4  # the stepper learns trajectories averaged over +-N steps
    pool_size: int = 256
    checkpoint_every: int = 250
    threads: int = 2
    seed: int = 0
    rollout_video_steps: int = 300

    @staticmethod
    def quick() -> LavaTrainConfig:
        """A tiny configuration that trains in well under a minute (for tests)."""
        return LavaTrainConfig(
            footage_clips=2,
            footage_steps_per_clip=60,
            autoencoder_iterations=12,
            autoencoder_batch=8,
            stepper_iterations=12,
            stepper_batch=16,
            rollout_steps=4,
            pool_size=16,
            checkpoint_every=5,
            rollout_video_steps=20,
            # A tiny model gains nothing from a second thread, and two threads competing with
            # another busy process for two cores made each iteration ~50x slower.
            threads=1,
        )

    def training_seeds(self) -> list[int]:
        """Simulator seeds of the training clips (held-out footage uses seeds >= 1,000,000)."""
        return [self.seed * 1000 + i for i in range(self.footage_clips)]


@dataclass
class LavaModules:
    """The trainable modules of a run."""

    encoder: LavaEncoder
    generator: LavaGenerator
    stepper: LavaStepper
    frame_disc: FrameDiscriminator
    sequence_disc: SequenceDiscriminator

    @staticmethod
    def build(config: LavaTrainConfig) -> LavaModules:
        return LavaModules(
            encoder=LavaEncoder(config.latent_size, config.base_channels),
            generator=LavaGenerator(config.latent_size, config.base_channels),
            stepper=LavaStepper(config.latent_size, config.stepper_hidden),
            frame_disc=FrameDiscriminator(config.base_channels),
            sequence_disc=SequenceDiscriminator(config.latent_size),
        )

    def named(self) -> dict[str, nn.Module]:
        return {
            "encoder": self.encoder,
            "generator": self.generator,
            "stepper": self.stepper,
            "frame_disc": self.frame_disc,
            "sequence_disc": self.sequence_disc,
        }


# --- footage ---------------------------------------------------------------------------------


def load_or_make_footage(config: LavaTrainConfig, run_dir: Path) -> NDArray[np.uint8]:
    """Footage clips [C, T, 64, 64, 3], cached as ``footage.npy`` in the run folder."""

    def make() -> NDArray[np.uint8]:
        if config.video:
            from installation.training.lava.video_footage import load_video_footage

            frames = load_video_footage(Path(config.video), step_seconds=config.step_seconds)
            return frames[None]
        seeds = tqdm(config.training_seeds(), desc="simulating footage", unit="clip")
        return np.stack(
            [
                footage_array(seed, config.footage_steps_per_clip, config.step_seconds)
                for seed in seeds
            ]
        )

    made_from = {
        "video": config.video,
        "seeds": config.training_seeds(),
        "steps": config.footage_steps_per_clip,
        "step_seconds": config.step_seconds,
    }
    return cached_array(run_dir, "footage", made_from, make)


# --- checkpoints -----------------------------------------------------------------------------


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint written by this module; TrainingError if it is missing or not one."""
    return CHECKPOINTS.load(path)


def config_from_checkpoint(state: dict[str, Any]) -> LavaTrainConfig:
    return LavaTrainConfig(**state["config"])


def modules_from_checkpoint(state: dict[str, Any]) -> tuple[LavaTrainConfig, LavaModules]:
    config = config_from_checkpoint(state)
    modules = LavaModules.build(config)
    for name, module in modules.named().items():
        module.load_state_dict(state["modules"][name])
    return config, modules


# --- the trainer -----------------------------------------------------------------------------


class LavaTrainer:
    """Runs (or resumes) both training stages for one run folder."""

    def __init__(self, config: LavaTrainConfig, run_dir: Path, resume: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_path = self.run_dir / CHECKPOINT_NAME
        previous = CHECKPOINTS.previous_state(self.run_dir, resume)
        if previous is not None:
            config = replace(config_from_checkpoint(previous), threads=config.threads)
        self.config = config
        torch.set_num_threads(max(1, config.threads))
        seed_everything(config.seed)
        self.modules = LavaModules.build(config)
        m = self.modules
        self.opt_ae = torch.optim.Adam(
            list(m.encoder.parameters()) + list(m.generator.parameters()),
            lr=config.autoencoder_lr,
            betas=(0.5, 0.99),
        )
        self.opt_fd = torch.optim.Adam(
            m.frame_disc.parameters(), lr=config.autoencoder_lr, betas=(0.5, 0.99)
        )
        self.opt_st = torch.optim.Adam(
            m.stepper.parameters(), lr=config.stepper_lr, betas=(0.5, 0.99)
        )
        self.opt_sd = torch.optim.Adam(
            m.sequence_disc.parameters(), lr=config.stepper_lr, betas=(0.5, 0.99)
        )
        self.stage = "autoencoder"
        self.iteration = 0
        self.elapsed = 0.0
        self.stats: dict[str, float] = {}
        self.pool: Tensor | None = None
        self.rng = torch.Generator().manual_seed(config.seed + 1)
        if previous is not None:
            self._restore(previous)
        self.footage = load_or_make_footage(config, self.run_dir)
        if self.footage.shape[1] < config.rollout_steps + 2:
            raise TrainingError(
                f"Footage clips have {self.footage.shape[1]} frames; need at least "
                f"{config.rollout_steps + 2}. Use a longer video or more footage steps."
            )

    # --- state ---------------------------------------------------------------------------

    def _optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"ae": self.opt_ae, "fd": self.opt_fd, "st": self.opt_st, "sd": self.opt_sd}

    def _state(self) -> dict[str, Any]:
        return {
            "kind": CHECKPOINTS.kind,
            "config": asdict(self.config),
            "stage": self.stage,
            "iteration": self.iteration,
            "elapsed_seconds": self.elapsed,
            "stats": self.stats,
            "modules": {k: v.state_dict() for k, v in self.modules.named().items()},
            "optimizers": {k: v.state_dict() for k, v in self._optimizers().items()},
            "pool": self.pool,
            "rng": rng_state(self.rng),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        for name, module in self.modules.named().items():
            module.load_state_dict(state["modules"][name])
        for name, opt in self._optimizers().items():
            opt.load_state_dict(state["optimizers"][name])
        self.stage = state["stage"]
        self.iteration = int(state["iteration"])
        self.elapsed = float(state["elapsed_seconds"])
        self.stats = dict(state["stats"])
        self.pool = state["pool"]
        restore_rng_state(state["rng"], self.rng)

    def save(self) -> None:
        save_checkpoint(self.checkpoint_path, self._state())

    # --- public --------------------------------------------------------------------------

    def train(self, stop_after: int | None = None) -> Path:
        """Run the remaining stages; ``stop_after`` iterations of this call (for tests)."""
        budget = stop_after
        if self.stage == "autoencoder":
            budget = self._train_autoencoder(budget)
            if self.stage == "autoencoder":
                return self.checkpoint_path
        if self.stage == "stepper":
            self._train_stepper(budget)
            if self.stage == "stepper":
                return self.checkpoint_path
        if self.stage == "samples":
            self._write_samples()
            self.stage = "done"
            self.save()
        return self.checkpoint_path

    # --- stage 1 -------------------------------------------------------------------------

    def _pair_batch(self, batch: int) -> Tensor:
        clips, steps = self.footage.shape[:2]
        c = torch.randint(0, clips, (batch,), generator=self.rng).numpy()
        t = torch.randint(1, steps, (batch,), generator=self.rng).numpy()
        frames = torch.from_numpy(np.stack([self.footage[c, t - 1], self.footage[c, t]], axis=1))
        n = frames.shape[0]
        x = images_to_tensor(frames.reshape(n * 2, *frames.shape[2:]))
        return x.reshape(n, 6, *x.shape[2:])  # previous frame in 0-2, current in 3-5

    def _train_autoencoder(self, budget: int | None) -> int | None:
        cfg, m = self.config, self.modules
        total = cfg.autoencoder_iterations
        bar = tqdm(
            total=total, initial=self.iteration, desc="autoencoder", unit="it", dynamic_ncols=True
        )
        adv_start = int(cfg.adversarial_start * total)
        while self.iteration < total:
            if budget is not None:
                if budget <= 0:
                    bar.close()
                    self.save()
                    return 0
                budget -= 1
            t0 = time.perf_counter()
            set_learning_rate(self.opt_ae, cfg.autoencoder_lr, self.iteration / total)
            pairs = self._pair_batch(cfg.autoencoder_batch)
            target = torch.cat([pairs[:, 3:], pairs[:, :3]], dim=1)  # current, previous
            z = m.encoder(pairs)
            tau = torch.rand(z.shape[0], 1, generator=self.rng) * cfg.latent_noise
            noise = torch.randn(z.shape, generator=self.rng)
            z_noisy = (z + tau * noise) / torch.sqrt(1.0 + tau**2)
            recon = m.generator(z_noisy)
            l1 = (recon[:, :3] - target[:, :3]).abs().mean() + 0.5 * (
                recon[:, 3:] - target[:, 3:]
            ).abs().mean()
            moments = moment_penalty(z, dim=0)
            loss = l1 + cfg.moment_weight * moments
            use_adv = self.iteration >= adv_start and cfg.adversarial_weight > 0
            if use_adv:
                adv = nn.functional.softplus(-m.frame_disc(recon[:, :3])).mean()
                loss = loss + cfg.adversarial_weight * adv
            self.opt_ae.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_ae.step()
            d_loss = torch.zeros(())
            if use_adv:
                real = m.frame_disc(target[:, :3])
                fake = m.frame_disc(recon[:, :3].detach())
                d_loss = nn.functional.softplus(-real).mean() + nn.functional.softplus(fake).mean()
                self.opt_fd.zero_grad(set_to_none=True)
                d_loss.backward()  # type: ignore[no-untyped-call]
                self.opt_fd.step()
            self.iteration += 1
            self.elapsed += time.perf_counter() - t0
            bar.update(1)
            bar.set_postfix(
                l1=f"{l1.item():.4f}", mom=f"{moments.item():.3f}", d=f"{d_loss.item():.3f}"
            )
            if self.iteration % cfg.checkpoint_every == 0:
                self.save()
            if self.iteration % 500 == 0:
                self._write_reconstructions()
        bar.close()
        self._write_reconstructions()
        self.stage, self.iteration = "stepper", 0
        self.save()
        # Kept so that the stepper can be retrained alone (copy it to checkpoint.pt, --resume).
        save_checkpoint(self.run_dir / "checkpoint_autoencoder.pt", self._state())
        return budget

    # --- stage 2 -------------------------------------------------------------------------

    @torch.no_grad()
    def encode_footage(self) -> Tensor:
        """Latent trajectories [C, T-1, L] of the footage (the pair (t-1, t) for t >= 1)."""
        m = self.modules
        m.encoder.eval()
        out = []
        for clip in self.footage:
            latents = []
            for start in range(1, clip.shape[0], 256):
                stop = min(start + 256, clip.shape[0])
                frames = torch.from_numpy(np.array(clip[start - 1 : stop]))  # writable copy
                x = images_to_tensor(frames)
                pairs = torch.cat([x[:-1], x[1:]], dim=1)
                latents.append(m.encoder(pairs))
            out.append(torch.cat(latents))
        m.encoder.train()
        return torch.stack(out)

    def _dithered(self, seq: Tensor) -> Tensor:
        cfg = self.config
        return dither_trajectories(seq, cfg.dither, cfg.dither_correlation, self.rng)

    def _train_stepper(self, budget: int | None) -> None:
        cfg, m = self.config, self.modules
        latents = smooth_trajectories(self.encode_footage(), cfg.latent_smoothing)
        clips, steps, size = latents.shape
        k = cfg.rollout_steps
        sample = self._dithered(latents[:, : min(steps, 1000)])
        data_step = (sample[:, 1:] - sample[:, :-1]).pow(2).sum(dim=2).sqrt().mean().item()
        self.stats["footage_latent_step"] = data_step
        frame_step = footage_frame_step(self.footage, spacing=1)
        frame_step_k = footage_frame_step(self.footage, spacing=k)
        self.stats["footage_frame_step"] = frame_step
        self.stats[f"footage_frame_step_{k}"] = frame_step_k
        for p in m.generator.parameters():
            p.requires_grad_(False)
        frame_ratio = torch.ones(())
        if self.pool is None:
            idx_c = torch.randint(0, clips, (cfg.pool_size,), generator=self.rng)
            idx_t = torch.randint(0, steps, (cfg.pool_size,), generator=self.rng)
            self.pool = self._dithered(latents[idx_c, idx_t][:, None])[:, 0].clone()
        total = cfg.stepper_iterations
        bar = tqdm(
            total=total, initial=self.iteration, desc="stepper", unit="it", dynamic_ncols=True
        )
        while self.iteration < total:
            if budget is not None:
                if budget <= 0:
                    bar.close()
                    self.save()
                    return
                budget -= 1
            t0 = time.perf_counter()
            set_learning_rate(self.opt_st, cfg.stepper_lr, self.iteration / total)
            b = cfg.stepper_batch
            c = torch.randint(0, clips, (b,), generator=self.rng)
            t = torch.randint(0, steps - k, (b,), generator=self.rng)
            offsets = torch.arange(k + 1)
            seq = self._dithered(latents[c[:, None], t[:, None] + offsets[None, :]])  # [b,k+1,L]
            # Teacher-forced Gaussian likelihood of the next latent, from slightly noised inputs.
            inputs = seq[:, :-1].reshape(-1, size)
            tau = torch.rand(inputs.shape[0], 1, generator=self.rng) * cfg.input_noise
            noisy = inputs + tau * torch.randn(inputs.shape, generator=self.rng)
            noisy = (noisy - noisy.mean(1, keepdim=True)) / noisy.std(1, keepdim=True)
            mean = m.stepper.mean_step(noisy)
            sigma = m.stepper.sigma()
            nll = (
                ((seq[:, 1:].reshape(-1, size) - mean) / sigma).pow(2) / 2 + torch.log(sigma)
            ).mean()
            # Free rollouts: from footage states and from the pool of the stepper's own states.
            pool_idx = torch.randint(0, self.pool.shape[0], (b,), generator=self.rng)
            starts = torch.cat([seq[:, 0], self.pool[pool_idx]])
            z = starts
            rolled = [z]
            for _ in range(k):
                z = m.stepper(z)
                rolled.append(z)
            fake_seq = torch.stack(rolled, dim=1)  # [2b, k+1, L]
            flat = fake_seq[:, 1:].reshape(-1, size)
            moments = moment_penalty(flat, dim=0)
            fake_step = (fake_seq[:, 1:] - fake_seq[:, :-1]).pow(2).sum(dim=2).sqrt().mean()
            step_match = (fake_step / data_step - 1.0).pow(2)
            adv = nn.functional.softplus(-m.sequence_disc(fake_seq)).mean()
            loss = nll + cfg.rollout_weight * (moments + step_match) + cfg.sequence_weight * adv
            if cfg.frame_step_weight > 0 and self.iteration % 2 == 0:
                # Decoded rollouts must change as much per step as the footage does.
                # Rollouts from the pool: the states the stepper itself reaches in the long run.
                picked = fake_seq[b : b + cfg.frame_step_batch]
                decoded = m.generator(picked.reshape(-1, size))[:, :3]
                decoded = decoded.reshape(picked.shape[0], k + 1, *decoded.shape[1:])
                # Both the one-step and the k-step change: jitter grows like sqrt(k), flow like k.
                change = (decoded[:, 1:] - decoded[:, :-1]).abs().mean() * 127.5
                change_k = (decoded[:, -1] - decoded[:, 0]).abs().mean() * 127.5
                frame_ratio = change_k.detach() / frame_step_k
                loss = loss + cfg.frame_step_weight * (
                    torch.log(change / frame_step).pow(2)
                    + torch.log(change_k / frame_step_k).pow(2)
                )
            self.opt_st.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            nn.utils.clip_grad_norm_(m.stepper.parameters(), 5.0)
            self.opt_st.step()
            real_logits = m.sequence_disc(seq)
            fake_logits = m.sequence_disc(fake_seq.detach())
            d_loss = (
                nn.functional.softplus(-real_logits).mean()
                + nn.functional.softplus(fake_logits).mean()
            )
            self.opt_sd.zero_grad(set_to_none=True)
            d_loss.backward()  # type: ignore[no-untyped-call]
            self.opt_sd.step()
            with torch.no_grad():
                self.pool[pool_idx] = fake_seq[b:, -1].detach()
                # Keep a share of fresh footage states in the pool.
                refresh = torch.rand(b, generator=self.rng) < 0.05
                self.pool[pool_idx[refresh]] = seq[refresh, 0]
            self.iteration += 1
            self.elapsed += time.perf_counter() - t0
            bar.update(1)
            bar.set_postfix(
                nll=f"{nll.item():.3f}",
                mom=f"{moments.item():.3f}",
                step=f"{fake_step.item() / data_step:.2f}",
                frame=f"{frame_ratio.item():.2f}",
                d=f"{d_loss.item():.3f}",
            )
            if self.iteration % cfg.checkpoint_every == 0:
                self.save()
        bar.close()
        self.stage, self.iteration = "samples", 0
        self.save()

    # --- samples -------------------------------------------------------------------------

    @torch.no_grad()
    def _write_reconstructions(self) -> None:
        m = self.modules
        gen_state = self.rng.get_state()
        pairs = self._pair_batch(8)
        self.rng.set_state(gen_state)  # samples must not change the training stream
        recon = m.generator(m.encoder(pairs))[:, :3]
        top = tensor_to_frames(pairs[:, 3:]).numpy()
        bottom = tensor_to_frames(recon).numpy()
        write_grid(self.run_dir / "samples_reconstruction.png", np.stack([top, bottom]), scale=2)

    @torch.no_grad()
    def rollout_frames(self, steps: int, start: Tensor) -> NDArray[np.uint8]:
        """Frames [steps, 64, 64, 3] of a free rollout from the latent ``start`` [1, L]."""
        m = self.modules
        z = start
        frames = []
        for _ in range(steps):
            frames.append(tensor_to_frames(m.generator(z)[:, :3])[0].numpy())
            z = m.stepper(z)
        return np.stack(frames)

    def _write_samples(self) -> None:
        latents = self.encode_footage()
        rows = []
        for i in range(4):
            start = latents[i % latents.shape[0], (i * 97) % latents.shape[1]][None]
            rows.append(self.rollout_frames(8 * 25, start)[::25])
        write_grid(self.run_dir / "samples_rollout.png", np.stack(rows), scale=2)
        frames = self.rollout_frames(self.config.rollout_video_steps, latents[0, 0][None])
        write_video(self.run_dir / "rollout.mp4", frames, fps=round(1.0 / self.config.step_seconds))
        summary = {
            "parameters_generator": parameter_count(self.modules.generator),
            "parameters_stepper": parameter_count(self.modules.stepper),
            "training_seconds": self.elapsed,
            **self.stats,
        }
        (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))


def footage_frame_step(
    footage: NDArray[np.uint8], spacing: int = 1, clips: int = 4, steps: int = 1000
) -> float:
    """Mean absolute change between footage frames ``spacing`` steps apart, in 0-255 levels."""
    changes = []
    for clip in footage[:clips]:
        frames = clip[:steps].astype(np.int16)
        changes.append(np.abs(frames[spacing:] - frames[:-spacing]).mean())
    return float(np.mean(changes))


def dither_trajectories(
    seq: Tensor, std: float, correlation: float, generator: torch.Generator
) -> Tensor:
    """``seq`` [N, T, L] plus an AR(1) dither along T (stationary std ``std``), re-standardised.

    The dither starts from its stationary distribution and keeps ``correlation`` of itself
    from one step to the next, so it wanders slowly in every latent dimension.
    """
    if std <= 0:
        return seq
    innovation = float(np.sqrt(1.0 - correlation**2))
    eps = torch.randn(seq.shape, generator=generator) * std
    noise = [eps[:, 0]]
    for t in range(1, seq.shape[1]):
        noise.append(correlation * noise[-1] + innovation * eps[:, t])
    return standardise(seq + torch.stack(noise, dim=1))


def smooth_trajectories(latents: Tensor, radius: int) -> Tensor:
    """Moving average over +-``radius`` steps of each trajectory [C, T, L], re-standardised.

    Encoded footage jitters a little from frame to frame; the stepper should learn the flow.
    """
    if radius <= 0 or latents.shape[1] <= 2 * radius + 1:
        return latents
    window = 2 * radius + 1
    padded = torch.cat(
        [latents[:, :1].expand(-1, radius, -1), latents, latents[:, -1:].expand(-1, radius, -1)],
        dim=1,
    )
    c = torch.cumsum(torch.cat([torch.zeros_like(padded[:, :1]), padded], dim=1), dim=1)
    mean = (c[:, window:] - c[:, :-window]) / window
    return standardise(mean)


def set_learning_rate(optimizer: torch.optim.Optimizer, base: float, progress: float) -> None:
    """Constant learning rate, then a linear decay to 10 % over the last 30 % of a stage."""
    factor = 1.0 if progress < 0.7 else max(0.1, (1.0 - progress) / 0.3)
    for group in optimizer.param_groups:
        group["lr"] = base * factor


def write_video(path: Path, frames: NDArray[np.uint8], fps: int) -> Path:
    """Save frames as MP4 (imageio-ffmpeg); falls back to GIF when ffmpeg is unavailable."""
    import imageio.v2 as imageio

    big = frames.repeat(4, axis=1).repeat(4, axis=2)
    try:
        imageio.mimwrite(path, list(big), fps=fps, macro_block_size=16)
        return path
    except Exception:  # no ffmpeg backend
        gif = path.with_suffix(".gif")
        imageio.mimwrite(gif, list(big), duration=1.0 / fps)
        return gif
