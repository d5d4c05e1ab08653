"""Walk-speed regulariser: the generator's image should change at an even pace along latent walks.

The rainbow scene drifts through latent space along spherical walks between random ``z``
(``installation.scenes.latent_walk.slerp``), and the "smooth walks" measure asks that no step
of a 120-step walk change the image more than 3x the walk's median step. A GAN left alone
learns a latent space with flat plateaus (the image hardly moves) separated by cliffs (it
flips from one layout to another within a few steps), which fails exactly that measure.

This term samples short pieces of such walks: a random ``z_a``, ``z_b`` and ``t``, and the
image's mean absolute change between ``slerp(z_a, z_b, t)`` and ``slerp(z_a, z_b, t + step)``
(``step`` = 1/120, the measure's own step). It penalises each piece's squared deviation from
the running mean speed, relative to that mean: ``(speed / mean - 1)²``, so plateaus and
cliffs alike cost and the overall amount of change is left to the rest of the loss. It is the
idea of StyleGAN2's path length regulariser (Karras et al. 2020), measured directly along the
walks the show makes (through the mapping network, at the show's default truncation 0.8: one
fixed psi, because speed scales with psi and a mixture would penalise truncation itself), with
a finite difference instead of a Jacobian product, so it needs no second-order gradients.

Written here because it is specific to the show's slerp walks; no library has it. Shared by
both rainbow generators (``rainbow.scene`` and ``rainbow.stylegan``): it needs only
``z_dim`` and ``(z, psi) -> images`` of a generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Protocol

import torch
from torch import Tensor, nn


class LatentGenerator(Protocol):
    """What the term needs of a generator: ``z_dim``, ``(z, psi) -> images`` and parameters."""

    z_dim: int

    def __call__(self, z: Tensor, psi: Tensor) -> Tensor: ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...


def slerp_rows(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Row-wise spherical interpolation of ``a``, ``b`` [N, D] at ``t`` [N] (as the scene's)."""
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)
    omega = torch.acos(cos.clamp(-1.0, 1.0)).clamp_min(1e-6)
    s = torch.sin(omega)
    wa = torch.sin((1.0 - t) * omega) / s
    wb = torch.sin(t * omega) / s
    return wa[:, None] * a + wb[:, None] * b


class WalkSpeedLoss:
    """Stateful (it keeps the running mean speed, saved in checkpoints) walk-speed term."""

    def __init__(
        self,
        step: float = 1.0 / 120.0,
        psi: float = 0.8,
        mean_decay: float = 0.99,
    ) -> None:
        if not 0.0 < step < 1.0:
            raise ValueError(f"the walk step must be in (0, 1), got {step}")
        self.step = step
        self.psi = psi
        self.mean_decay = mean_decay
        self.mean_speed = 0.0  # 0 until the first call

    def speeds(self, generator: LatentGenerator, pairs: int, rng: torch.Generator) -> Tensor:
        """Mean absolute image change of ``pairs`` random walk steps, [pairs], differentiable."""
        z_dim = generator.z_dim
        device = next(generator.parameters()).device
        z_a = torch.randn(pairs, z_dim, generator=rng)
        z_b = torch.randn(pairs, z_dim, generator=rng)
        t = torch.rand(pairs, generator=rng) * (1.0 - self.step)
        z = torch.cat([slerp_rows(z_a, z_b, t), slerp_rows(z_a, z_b, t + self.step)])
        psi = torch.full((2 * pairs,), self.psi, device=device)
        images = generator(z.to(device), psi)
        before, after = images[:pairs], images[pairs:]
        return (after - before).abs().mean(dim=(1, 2, 3))

    def __call__(self, generator: LatentGenerator, pairs: int, rng: torch.Generator) -> Tensor:
        """``mean((speed / running mean - 1)²)`` over ``pairs`` walk steps; updates the mean."""
        speed = self.speeds(generator, pairs, rng)
        observed = float(speed.detach().mean())
        if not math.isfinite(observed):
            raise FloatingPointError("the generator's walk speed is not finite")
        if self.mean_speed == 0.0:
            self.mean_speed = observed
        else:
            self.mean_speed = self.mean_decay * self.mean_speed + (1 - self.mean_decay) * observed
        return (speed / max(self.mean_speed, 1e-8) - 1.0).pow(2).mean()
