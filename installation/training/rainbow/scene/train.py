"""Training of the scene generator (the default ``installation train rainbow``).

Two learned parts, trained one after the other in one run:

1. **Optics** (``bow_optics_net``): regression of the renderer's bow light (physics tables of
   ``optics_scenes`` sampled drop optics) on random angles; held out: the tables of 200
   other scenes, reported as the largest and mean error in 8-bit display levels.
2. **Scene prior** (``scene.prior``): the energy distance between a batch of the prior's scene
   rows at psi 1 and a batch of the sampler's (``prior_scenes`` training scenes), every column
   in units of its spread; the prior tracks ``w_avg`` for truncation. Held out: the energy
   distance to 2,000 held-out scenes, beside the same distance between two sampler sets.
3. **Walks** (``common.walk_speed_loss``): the prior goes on with its energy distance plus the
   walk speed term: pieces of the slerp walks the show makes (psi 0.8, step 1/120) are rendered at
   ``walk_resolution`` through the whole generator, and each piece's image change is pulled
   towards the running mean change, so that no step of a walk is a cliff. The energy distance
   alone leaves the prior steep where it bends the normal ``z`` into the sampler's corners (a
   camera that pans by 3° in one step; run 3 had 1 of 30 walks over the 3x limit). Held out:
   the worst step over the median step of 4 fixed walks at that resolution.

Checkpoints are atomic and ``--resume`` continues where the run stopped; sample grids of the
generator (psi 0.8) are written as it trains, and ``samples.png``, ``truncation.png``,
``real.png`` (renderer images of held-out seeds) and ``summary.json`` at the end.
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
from torch import Tensor
from tqdm import tqdm

from installation.errors import TrainingError
from installation.training.common.cached_array import cached_array
from installation.training.common.checkpoints import (
    CHECKPOINT_NAME,
    CheckpointKind,
    save_checkpoint,
)
from installation.training.common.image_grid import write_grid
from installation.training.common.parameter_count import parameter_count
from installation.training.common.seeding import restore_rng_state, rng_state, seed_everything
from installation.training.common.walk_speed_loss import WalkSpeedLoss, slerp_rows
from installation.training.rainbow.renderer import render_rainbow, sample_scene
from installation.training.rainbow.scene.bow_optics_net import (
    lr_at,
    max_display_error,
    optics_tensor,
    physics_table,
    table_loss,
)
from installation.training.rainbow.scene.generator import SceneGenerator, to_uint8
from installation.training.rainbow.scene.prior import LATENT_SIZE, energy_distance, sampler_rows

SCENE_CHECKPOINTS = CheckpointKind("rainbow-scene", "rainbow", "installation train rainbow")
HELD_OUT_SEED = 1_000_000  # held-out scenes start here (as the measures' renderer images)
HELD_OUT_TABLES = 200
HELD_OUT_ROWS = 2000


@dataclass(frozen=True)
class SceneTrainConfig:
    """Everything that defines a scene-generator run (defaults: see docs/rainbow.md)."""

    resolution: int = 256
    optics_scenes: int = 3000  # physics tables the optics network learns from
    optics_steps: int = 8000
    optics_batch_scenes: int = 32
    optics_batch_angles: int = 400
    optics_lr: float = 3e-3
    prior_scenes: int = 50_000  # sampler draws the prior learns from
    prior_steps: int = 6000
    prior_batch: int = 1024
    prior_lr: float = 1e-3
    w_avg_beta: float = 0.995
    walk_steps: int = 1200  # the walk stage (steps of the prior with the walk term)
    walk_pairs: int = 16  # walk pieces rendered per step
    walk_resolution: int = 48
    walk_weight: float = 0.02
    walk_lr: float = 3e-4
    checkpoint_every: int = 500
    samples_every: int = 2000
    threads: int = 2
    seed: int = 0

    @staticmethod
    def quick() -> SceneTrainConfig:
        """A tiny configuration that trains in seconds (for tests)."""
        return SceneTrainConfig(
            resolution=32,
            optics_scenes=24,
            optics_steps=6,
            optics_batch_scenes=4,
            optics_batch_angles=50,
            prior_scenes=256,
            prior_steps=6,
            prior_batch=64,
            walk_steps=3,
            walk_pairs=2,
            walk_resolution=16,
            checkpoint_every=4,
            samples_every=5,
        )

    @property
    def walk_start(self) -> int:
        """The first step of the walk stage (the optics and prior stages come before it)."""
        return self.optics_steps + self.prior_steps

    @property
    def steps(self) -> int:
        return self.walk_start + self.walk_steps

    def training_seeds(self, count: int) -> range:
        start = self.seed * 100_000
        return range(start, start + count)


def validate_scene_config(config: SceneTrainConfig) -> None:
    """TrainingError for settings that cannot train."""
    r = config.resolution
    if r < 8 or r > 1024:
        raise TrainingError(f"--resolution must be between 8 and 1024 (e.g. 256), got {r}.")
    if config.optics_steps < 1 or config.prior_steps < 1:
        raise TrainingError("--iterations must be at least 1.")
    if config.walk_steps < 0 or config.walk_pairs < 1 or config.walk_resolution < 8:
        raise TrainingError("the walk stage needs walk_steps >= 0, walk_pairs >= 1 and >= 8 px.")
    if config.threads < 1:
        raise TrainingError(f"--threads must be at least 1, got {config.threads}.")


class SceneTrainer:
    """Runs (or resumes) the training of the scene generator in one run folder."""

    def __init__(self, config: SceneTrainConfig, run_dir: Path, resume: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.checkpoint_path = self.run_dir / CHECKPOINT_NAME
        previous = SCENE_CHECKPOINTS.previous_state(self.run_dir, resume)
        if previous is not None:
            config = replace(SceneTrainConfig(**previous["config"]), threads=config.threads)
        validate_scene_config(config)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        torch.set_num_threads(max(1, config.threads))
        seed_everything(config.seed)
        self.generator = SceneGenerator(config.resolution)
        g = self.generator
        self.opt_optics = torch.optim.Adam(g.optics.parameters(), lr=config.optics_lr)
        self.opt_prior = torch.optim.Adam(
            g.prior.parameters(), lr=config.prior_lr, betas=(0.5, 0.99)
        )
        self.step_count = 0
        self.elapsed = 0.0
        self.done = False
        self.history: list[dict[str, float]] = []
        self.rng = torch.Generator().manual_seed(config.seed + 1)
        # The walk stage renders through the same prior and optics at a small size.
        self.walk_generator = SceneGenerator(config.walk_resolution)
        self.walk_generator.prior = g.prior
        self.walk_generator.optics = g.optics
        self.walk_loss = WalkSpeedLoss()
        self.sample_z = torch.randn(24, g.z_dim, generator=torch.Generator().manual_seed(1234))
        if previous is not None:
            self._restore(previous)
        self._load_data()

    # --- data ------------------------------------------------------------------------------

    def _load_data(self) -> None:
        cfg = self.config
        optics_seeds = cfg.training_seeds(cfg.optics_scenes)
        held = range(HELD_OUT_SEED, HELD_OUT_SEED + HELD_OUT_TABLES)

        def tables(seeds: range) -> NDArray[np.float32]:
            rows = [
                physics_table(sample_scene(s).optics)
                for s in tqdm(seeds, desc="bow tables", leave=False)
            ]
            return np.stack(rows).astype(np.float32)

        made = {"seeds": [optics_seeds.start, optics_seeds.stop], "what": "bow tables"}
        self.tables = torch.from_numpy(
            np.array(cached_array(self.run_dir, "bow_tables", made, lambda: tables(optics_seeds)))
        )
        self.table_optics = torch.stack(
            [optics_tensor(sample_scene(s).optics) for s in optics_seeds]
        )
        self.held_tables = torch.from_numpy(tables(held))
        self.held_optics = torch.stack([optics_tensor(sample_scene(s).optics) for s in held])
        rows = torch.from_numpy(sampler_rows(cfg.training_seeds(cfg.prior_scenes)))
        self.rows = rows
        self.mean = rows.mean(dim=0)
        self.std = rows.std(dim=0).clamp(min=1e-3)
        held_rows = sampler_rows(range(HELD_OUT_SEED, HELD_OUT_SEED + 2 * HELD_OUT_ROWS))
        self.held_rows = torch.from_numpy(held_rows)

    # --- state -----------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        return {
            "kind": SCENE_CHECKPOINTS.kind,
            "config": asdict(self.config),
            "step": self.step_count,
            "elapsed_seconds": self.elapsed,
            "done": self.done,
            "history": self.history,
            "modules": {
                "generator": {k: v.clone() for k, v in self.generator.state_dict().items()}
            },
            "optimizers": {
                "optics": self.opt_optics.state_dict(),
                "prior": self.opt_prior.state_dict(),
            },
            "rng": rng_state(self.rng),
            "walk_mean_speed": self.walk_loss.mean_speed,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.generator.load_state_dict(state["modules"]["generator"])
        self.opt_optics.load_state_dict(state["optimizers"]["optics"])
        self.opt_prior.load_state_dict(state["optimizers"]["prior"])
        self.step_count = int(state["step"])
        self.elapsed = float(state["elapsed_seconds"])
        self.done = bool(state["done"])
        self.history = list(state["history"])
        restore_rng_state(state["rng"], self.rng)
        self.walk_loss.mean_speed = float(state.get("walk_mean_speed", 0.0))

    def save(self) -> None:
        save_checkpoint(self.checkpoint_path, self._state())

    # --- steps -----------------------------------------------------------------------------

    def optics_step(self, step: int) -> float:
        cfg = self.config
        for group in self.opt_optics.param_groups:
            group["lr"] = lr_at(step, cfg.optics_steps, cfg.optics_lr)
        net = self.generator.optics
        scenes = torch.randint(0, len(self.tables), (cfg.optics_batch_scenes,), generator=self.rng)
        angles = torch.randint(
            0, net.theta.shape[0], (cfg.optics_batch_angles,), generator=self.rng
        )
        predicted = net.at(net.theta[angles], self.table_optics[scenes])
        loss = table_loss(predicted, self.tables[scenes][:, angles])
        self.opt_optics.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.opt_optics.step()
        return float(loss.detach())

    def _standard(self, rows: Tensor) -> Tensor:
        return (rows - self.mean) / self.std

    def prior_loss(self) -> Tensor:
        """The energy distance of one batch of the prior's rows to the sampler's (updates
        ``w_avg``)."""
        cfg = self.config
        prior = self.generator.prior
        z = torch.randn(cfg.prior_batch, LATENT_SIZE, generator=self.rng)
        w = prior.mapped(z)
        with torch.no_grad():
            prior.w_avg.copy_(w.mean(dim=0).lerp(prior.w_avg, cfg.w_avg_beta))
        fake = self._standard(prior.rows(w))
        pick = torch.randint(0, len(self.rows), (cfg.prior_batch,), generator=self.rng)
        return energy_distance(fake, self._standard(self.rows[pick]))

    def _prior_update(self, loss: Tensor) -> None:
        self.opt_prior.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.opt_prior.step()

    def prior_step(self, step: int) -> float:
        cfg = self.config
        for group in self.opt_prior.param_groups:
            group["lr"] = lr_at(step, cfg.prior_steps, cfg.prior_lr)
        loss = self.prior_loss()
        self._prior_update(loss)
        return float(loss.detach())

    def walk_step(self, step: int) -> float:
        """Energy distance plus ``walk_weight`` x the walk speed term; returns the term."""
        cfg = self.config
        for group in self.opt_prior.param_groups:
            group["lr"] = lr_at(step, cfg.walk_steps, cfg.walk_lr)
        self.generator.optics.requires_grad_(False)  # learned already; only the prior moves
        walk = self.walk_loss(self.walk_generator, cfg.walk_pairs, self.rng)
        self._prior_update(self.prior_loss() + cfg.walk_weight * walk)
        return float(walk.detach())

    @torch.no_grad()
    def walk_ratios(self, walks: int = 4, steps: int = 120) -> list[float]:
        """Worst step / median step of ``walks`` fixed slerp walks (psi 0.8) rendered at
        ``walk_resolution``, as the measure computes them at full size."""
        gen = torch.Generator().manual_seed(77)
        ends = torch.randn(2 * walks, LATENT_SIZE, generator=gen)
        t = torch.linspace(0.0, 1.0, steps + 1)
        ratios = []
        for k in range(walks):
            a = ends[2 * k].expand(steps + 1, -1)
            b = ends[2 * k + 1].expand(steps + 1, -1)
            z = slerp_rows(a, b, t)
            frames = torch.cat(
                [
                    to_uint8(self.walk_generator(c, torch.full((c.shape[0],), 0.8))).float()
                    for c in torch.split(z, 32)
                ]
            )
            mads = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
            ratios.append(float(mads.max() / mads.median().clamp_min(1e-9)))
        return ratios

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Held-out errors of the optics and the prior."""
        g = self.generator
        predicted = g.optics(self.held_optics)
        shown = (
            torch.clamp(predicted * 0.8, 0, 1) ** (1 / 2.2)
            - torch.clamp(self.held_tables * 0.8, 0, 1) ** (1 / 2.2)
        ).abs()
        n = HELD_OUT_ROWS
        z = torch.randn(n, g.z_dim, generator=torch.Generator().manual_seed(99))
        fake = g.prior(z, torch.ones(n))
        held_a, held_b = self.held_rows[:n], self.held_rows[n:]
        walks = {}
        if self.step_count >= self.config.walk_start:
            walks = {"walk_worst_ratio": max(self.walk_ratios())}
        return {
            **walks,
            "step": float(self.step_count),
            "optics_max_levels": max_display_error(predicted, self.held_tables),
            "optics_mean_levels": float(shown.mean() * 255.0),
            "prior_energy_distance": float(
                energy_distance(self._standard(fake), self._standard(held_a))
            ),
            "sampler_energy_distance": float(
                energy_distance(self._standard(held_b), self._standard(held_a))
            ),
        }

    def train(self, stop_after: int | None = None) -> Path:
        """Train to the configured steps; ``stop_after`` steps of this call (tests)."""
        cfg = self.config
        if self.done:
            return self.checkpoint_path
        bar = tqdm(
            total=cfg.steps,
            initial=self.step_count,
            desc="rainbow",
            unit="step",
            dynamic_ncols=True,
        )
        while self.step_count < cfg.steps:
            if stop_after is not None:
                if stop_after <= 0:
                    bar.close()
                    self.save()
                    return self.checkpoint_path
                stop_after -= 1
            t0 = time.perf_counter()
            if self.step_count < cfg.optics_steps:
                loss = self.optics_step(self.step_count)
                stage = "optics"
            elif self.step_count < cfg.walk_start:
                loss = self.prior_step(self.step_count - cfg.optics_steps)
                stage = "prior"
            else:
                loss = self.walk_step(self.step_count - cfg.walk_start)
                stage = "walks"
            self.step_count += 1
            self.elapsed += time.perf_counter() - t0
            bar.update(1)
            bar.set_postfix(stage=stage, loss=f"{loss:.4f}")
            if (
                self.step_count in (cfg.optics_steps, cfg.walk_start, cfg.steps)
                or self.step_count % cfg.checkpoint_every == 0
            ):
                self.history.append(self.evaluate())
                self.save()
            if self.step_count % cfg.samples_every == 0:
                self.write_sample_grid(self.run_dir / f"samples_{self.step_count:06d}.png")
        bar.close()
        self._finish()
        return self.checkpoint_path

    # --- samples ---------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, z: Tensor, psi: float) -> NDArray[np.uint8]:
        """Images [N, R, R, 3] uint8 for latents ``z`` at truncation ``psi``."""
        out = [
            to_uint8(self.generator(chunk, torch.full((chunk.shape[0],), psi))).numpy()
            for chunk in torch.split(z, 8)
        ]
        return np.concatenate(out)

    def write_sample_grid(self, path: Path, psi: float = 0.8) -> None:
        images = self.generate(self.sample_z, psi)
        write_grid(path, images.reshape(4, 6, *images.shape[1:]))

    def _finish(self) -> None:
        cfg = self.config
        self.write_sample_grid(self.run_dir / "samples.png")
        psis = (0.0, 0.25, 0.5, 0.75, 1.0)
        rows = np.stack([self.generate(self.sample_z[:8], psi) for psi in psis])
        write_grid(self.run_dir / "truncation.png", rows)
        real = np.stack([render_rainbow(HELD_OUT_SEED + i, cfg.resolution) for i in range(24)])
        write_grid(self.run_dir / "real.png", real.reshape(4, 6, *real.shape[1:]))
        self.done = True
        self.save()
        summary = {
            "parameters_prior": parameter_count(self.generator.prior),
            "parameters_optics": parameter_count(self.generator.optics),
            "steps": self.step_count,
            "training_seconds": self.elapsed,
            "optics_scenes": cfg.optics_scenes,
            "prior_scenes": cfg.prior_scenes,
            "held_out": self.history[-1] if self.history else {},
        }
        (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))


def scene_generator_from_checkpoint(
    state: dict[str, Any],
) -> tuple[SceneTrainConfig, SceneGenerator]:
    """The config and generator of a scene checkpoint."""
    config = SceneTrainConfig(**state["config"])
    generator = SceneGenerator(config.resolution)
    generator.load_state_dict(state["modules"]["generator"])
    return config, generator.eval()
