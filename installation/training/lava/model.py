"""Torch modules of the neural lava lamp: encoder, generator, latent stepper, discriminators.

Latents are *standardised*: each latent vector has mean 0 and standard deviation 1 over its
L entries. The encoder, and the stepper after every step, re-standardise their output per
sample, so the latent can never drift in scale however long the lamp runs, and nothing
depends on batch statistics at inference.

The encoder sees two consecutive frames, so a latent carries the lamp's state *and* its
motion (the generator also reconstructs the previous frame during training). The stepper is
a learned drift plus a deterministic pseudo-random kick whose per-dimension size is learned
as the spread of the footage's next latent around the drift (a Gaussian likelihood): the
lamp moves like the footage and never settles into a fixed point or a short cycle.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

FRAME_SIZE = 64


def standardise(z: Tensor, eps: float = 1e-5) -> Tensor:
    """Per latent (the last dim holds the latent dims): subtract the mean, divide by the std."""
    centred = z - z.mean(dim=-1, keepdim=True)
    return centred / torch.sqrt(centred.pow(2).mean(dim=-1, keepdim=True) + eps)


def moment_penalty(z: Tensor, dim: int = 0) -> Tensor:
    """mean^2 + (std-1)^2 + skew^2 + (kurtosis-3)^2 of ``z`` along ``dim``, averaged over the rest.

    Zero when the values along ``dim`` have the first four moments of a standard normal.
    """
    mean = z.mean(dim=dim, keepdim=True)
    centred = z - mean
    var = centred.pow(2).mean(dim=dim, keepdim=True)
    std = torch.sqrt(var + 1e-6)
    skew = centred.pow(3).mean(dim=dim, keepdim=True) / std.pow(3)
    kurt = centred.pow(4).mean(dim=dim, keepdim=True) / var.pow(2).clamp_min(1e-6)
    penalty = mean.pow(2) + (std - 1.0).pow(2) + skew.pow(2) + (kurt - 3.0).pow(2)
    return penalty.mean()


def _conv_down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.2))


class LavaEncoder(nn.Module):
    """Maps two consecutive frames (previous, current) in [-1, 1] to a standardised latent."""

    def __init__(self, latent_size: int = 64, base_channels: int = 16) -> None:
        super().__init__()
        c = base_channels
        self.features = nn.Sequential(
            _conv_down(6, c),  # 32
            _conv_down(c, 2 * c),  # 16
            _conv_down(2 * c, 4 * c),  # 8
            _conv_down(4 * c, 8 * c),  # 4
        )
        self.head = nn.Linear(8 * c * 16, latent_size)

    def forward(self, frames: Tensor) -> Tensor:
        h = self.features(frames).flatten(1)
        return standardise(self.head(h))


class _UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
        out: Tensor = self.act(self.conv(x))
        return out


class LavaGenerator(nn.Module):
    """Maps a standardised latent to the current frame (channels 0-2) and the previous one (3-5).

    Output is in [-1, 1], shape [N, 6, 64, 64]. Only the current frame is exported.
    """

    def __init__(self, latent_size: int = 64, base_channels: int = 16) -> None:
        super().__init__()
        c = base_channels
        self.start_channels = 8 * c
        self.project = nn.Linear(latent_size, 8 * c * 16)
        self.body = nn.Sequential(
            nn.LeakyReLU(0.2),
            nn.Conv2d(8 * c, 8 * c, 3, padding=1),  # 4x4
            nn.LeakyReLU(0.2),
            _UpBlock(8 * c, 4 * c),  # 8
            _UpBlock(4 * c, 2 * c),  # 16
            _UpBlock(2 * c, c),  # 32
            _UpBlock(c, c),  # 64
            nn.Conv2d(c, 6, 3, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        h = self.project(z).view(-1, self.start_channels, 4, 4)
        out: Tensor = self.body(h)
        return out


class LavaStepper(nn.Module):
    """Moves a standardised latent one step: ``standardise(z + drift(z) + sigma * kick(z))``.

    ``drift`` is an MLP; ``sigma`` is a learned per-dimension step spread; ``kick`` is a
    deterministic pseudo-random unit-variance vector (sums of high-frequency sines of fixed
    random projections of z), so the step is a pure function of z that ONNX can run.
    """

    def __init__(self, latent_size: int = 64, hidden: int = 256, kick_frequency: float = 997.0):
        super().__init__()
        self.latent_size = latent_size
        self.drift = nn.Sequential(
            nn.Linear(latent_size, hidden),
            nn.SiLU(),
            nn.Linear(hidden, hidden),
            nn.SiLU(),
            nn.Linear(hidden, latent_size),
        )
        last = self.drift[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.log_sigma = nn.Parameter(torch.full((latent_size,), math.log(0.1)))
        gen = torch.Generator().manual_seed(20240611)
        self.kick_terms = 4
        projection = torch.randn(self.kick_terms * latent_size, latent_size, generator=gen)
        self.register_buffer("kick_projection", projection / math.sqrt(latent_size))
        self.register_buffer(
            "kick_phase", torch.rand(self.kick_terms * latent_size, generator=gen) * 2 * math.pi
        )
        self.kick_frequency = kick_frequency

    def kick(self, z: Tensor) -> Tensor:
        """Deterministic pseudo-random vector with mean ~0 and variance ~1 per entry."""
        proj = self.get_buffer("kick_projection")
        phase = self.get_buffer("kick_phase")
        angles = torch.nn.functional.linear(z.detach(), proj) * self.kick_frequency + phase
        waves = torch.sin(angles).view(-1, self.kick_terms, self.latent_size)
        # Each sine has variance 1/2; the sum of ``kick_terms`` of them is rescaled to 1.
        return waves.sum(dim=1) * math.sqrt(2.0 / self.kick_terms)

    def mean_step(self, z: Tensor) -> Tensor:
        """The drifted latent before the kick and re-standardisation."""
        out: Tensor = z + self.drift(z)
        return out

    def sigma(self) -> Tensor:
        return torch.exp(self.log_sigma)

    def forward(self, z: Tensor, noise: Tensor | None = None) -> Tensor:
        kick = self.kick(z) if noise is None else noise
        return standardise(self.mean_step(z) + self.sigma() * kick)


class FrameDiscriminator(nn.Module):
    """Patch discriminator on single frames in [-1, 1]: one logit per 8x8 patch region."""

    def __init__(self, base_channels: int = 16) -> None:
        super().__init__()
        c = base_channels
        self.net = nn.Sequential(
            _conv_down(3, c),  # 32
            _conv_down(c, 2 * c),  # 16
            _conv_down(2 * c, 4 * c),  # 8
            nn.Conv2d(4 * c, 1, 3, padding=1),
        )

    def forward(self, frames: Tensor) -> Tensor:
        out: Tensor = self.net(frames)
        return out


class SequenceDiscriminator(nn.Module):
    """Discriminator on latent sequences [N, T, L]: judges trajectories, not single states."""

    def __init__(self, latent_size: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(2 * latent_size, hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(hidden, 1)

    def forward(self, seq: Tensor) -> Tensor:
        steps = seq[:, 1:] - seq[:, :-1]
        x = torch.cat([seq[:, 1:], steps * 4.0], dim=2).transpose(1, 2)
        h = self.net(x).mean(dim=2)
        out: Tensor = self.head(h)
        return out


def tensor_to_frames(images: Tensor) -> Tensor:
    """float [N, 3, H, W] in [-1, 1] -> uint8 [N, H, W, 3] (rounded, clamped)."""
    scaled = ((images.clamp(-1.0, 1.0) + 1.0) * 127.5 + 0.5).clamp(0.0, 255.0)
    return scaled.permute(0, 2, 3, 1).to(torch.uint8)
