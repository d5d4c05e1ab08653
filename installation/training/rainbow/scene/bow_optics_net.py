"""A learned bow: a small network that renders the bows' light from the drops' optics.

The renderer's bow (``renderer.bow_table``) is physics: Airy profiles of 35 wavelengths around
the primary and secondary caustics, summed through the camera's colour response, blurred by the
sun's disc and the spread of drop sizes, with the bands' chroma boosted and mapped into gamut.
That takes a 250,000-sample Airy table and a per-scene convolution, which a generator graph
would carry for every image. This network learns the result by regression instead: for an angle
``theta`` from the antisolar point and the five optics parameters (``BowOptics``: Airy scale,
smear, secondary strength, vividness, glow) it gives the linear RGB bow light. Its inputs are
the angle measured from each caustic in units of the Airy scale (``(41.5° - theta) / s`` and
``(theta - 52°) / 1.6 s``, the coordinates in which the fringes repeat) with their Fourier
features, so the network learns shapes, not positions; the bow's circle comes from the angle
map, not from here.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from installation.training.rainbow.renderer import BowOptics, bow_table
from installation.training.rainbow.scene.torch_renderer import BOW_SAMPLES, BOW_STEP_DEG

OPTICS_LOW = torch.tensor([0.12, 0.0, 0.0, 2.0, 0.25])  # ranges of the scene sampler
OPTICS_HIGH = torch.tensor([0.45, 0.3, 0.4, 3.5, 0.6])
FREQUENCIES = torch.tensor([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])  # per Airy unit
DEGREE_FREQUENCIES = 2 * math.pi * torch.tensor([0.1, 0.2, 0.4, 0.8, 1.6, 3.2])  # per degree
PRIMARY_DEG, SECONDARY_DEG = 41.5, 52.0


def bow_angles() -> Tensor:
    """The table's angles [BOW_SAMPLES] in degrees from the antisolar point."""
    return BOW_STEP_DEG * torch.arange(BOW_SAMPLES, dtype=torch.float32)


def _features(theta: Tensor, optics: Tensor) -> Tensor:
    """Inputs [N, T, F] for angles ``theta`` [T] and optics [N, 5]."""
    scale = optics[:, 0:1]
    u1 = (PRIMARY_DEG - theta[None, :]) / scale  # bright side of the primary: positive
    u2 = (theta[None, :] - SECONDARY_DEG) / (1.6 * scale)
    parts = [theta[None, :].expand_as(u1) / 60.0 - 0.75]
    for u in (u1, u2):
        clipped = torch.clamp(u, -8.0, 30.0)
        parts += [clipped / 10.0, torch.exp(-0.5 * (clipped / 3.0) ** 2)]
        phase = clipped[..., None] * FREQUENCIES
        parts += list(torch.sin(phase).unbind(-1)) + list(torch.cos(phase).unbind(-1))
    for centre in (PRIMARY_DEG, SECONDARY_DEG):
        offset = (theta[None, :] - centre).expand_as(u1)
        window = torch.exp(-0.5 * (offset / 5.0) ** 2)[..., None]
        phase = offset[..., None] * DEGREE_FREQUENCIES
        parts += list((torch.sin(phase) * window).unbind(-1))
        parts += list((torch.cos(phase) * window).unbind(-1))
    norm = (optics - OPTICS_LOW) / (OPTICS_HIGH - OPTICS_LOW) * 2.0 - 1.0
    x = torch.stack(parts, dim=-1)
    return torch.cat([x, norm[:, None, :].expand(-1, theta.shape[0], -1)], dim=-1)


class BowOpticsNet(nn.Module):
    """``optics`` [N, 5] -> bow light [N, BOW_SAMPLES, 3] (linear RGB, primary peak ~1)."""

    theta: Tensor

    def __init__(self, width: int = 128, layers: int = 4) -> None:
        super().__init__()
        features = 1 + 2 * (2 + 2 * len(FREQUENCIES)) + 4 * len(DEGREE_FREQUENCIES) + 5
        blocks: list[nn.Module] = [nn.Linear(features, width), nn.SiLU()]
        for _ in range(layers - 1):
            blocks += [nn.Linear(width, width), nn.SiLU()]
        blocks.append(nn.Linear(width, 3))
        self.net = nn.Sequential(*blocks)
        self.register_buffer("theta", bow_angles())

    def at(self, theta: Tensor, optics: Tensor) -> Tensor:
        """Bow light [N, T, 3] at angles ``theta`` [T]."""
        return nn.functional.softplus(self.net(_features(theta, optics)), beta=20.0)

    def forward(self, optics: Tensor) -> Tensor:
        return self.at(self.theta, optics)


def optics_tensor(optics: BowOptics) -> Tensor:
    return torch.tensor(
        [optics.airy_scale, optics.smear, optics.secondary_strength, optics.vividness, optics.glow],
        dtype=torch.float32,
    )


def physics_table(optics: BowOptics) -> NDArray[np.float32]:
    """The renderer's bow light at the table's angles [BOW_SAMPLES, 3]."""
    angles, rgb = bow_table(optics)
    theta = bow_angles().numpy().astype(np.float64)
    return np.stack([np.interp(theta, angles, rgb[:, c]) for c in range(3)], axis=1).astype(
        np.float32
    )


def table_loss(predicted: Tensor, target: Tensor) -> Tensor:
    """L1 on the light and on its display value (gamma), where the eye sees the error."""
    gamma = 1 / 2.2
    shown = torch.abs((predicted + 1e-4) ** gamma - (target + 1e-4) ** gamma).mean()
    return torch.abs(predicted - target).mean() + shown


def max_display_error(predicted: Tensor, target: Tensor, brightness: float = 0.8) -> float:
    """Largest difference in 8-bit display levels of the bow light alone (``brightness``)."""
    a = torch.clamp(predicted * brightness, 0, 1) ** (1 / 2.2)
    b = torch.clamp(target * brightness, 0, 1) ** (1 / 2.2)
    return float(torch.abs(a - b).max() * 255.0)


def lr_at(step: int, steps: int, lr: float) -> float:
    """Cosine decay to 5 % of ``lr``."""
    return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))
