"""A learned prior over rainbow scenes: ``z`` [N, 512] -> the scene sampler's draws.

The renderer's sampler (``renderer.draw_scene``) picks a sky and a landscape, a sun elevation,
a field of view, where on the bow the camera aims, how the framing slips, the drops' optics,
the rain curtain, brightness and cloud cover: 28 numbers (``SceneDraws`` with the two types
one-hot, and the aim and the leg as one position along the bow). This network maps a latent
``z`` to those numbers so that their joint distribution matches the sampler's: it is trained
by the energy distance between a batch of its outputs and a batch of the sampler's draws (in
units of each column's spread). The camera
and the rain curtain are then rebuilt from the draws as the sampler builds them (``aim_camera``
in torch), so a generated camera aims at its bow. The network is smooth in ``z``, the types
come out as softmax weights (blended, never switched) and the other columns through sigmoids
into the sampler's ranges, so a walk in ``z`` is a gradual change of scene.

Truncation: the network tracks the average of its hidden ``w`` (``w_avg``) while it trains;
``w = w_avg + psi (w - w_avg)`` before the output layer, so psi 0 is one average scene.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from installation.training.rainbow.renderer import LANDSCAPES, SKIES, SceneDraws, draw_scene
from installation.training.rainbow.scene.torch_renderer import (
    ACOS_EDGE,
    DEGREES,
    RADIANS,
    SceneParameters,
)

LATENT_SIZE = 512
CONTINUOUS = (
    "sun",
    "fov",
    "bow_angle",
    "yaw_jitter",
    "pitch_jitter",
    "airy_scale",
    "smear",
    "secondary_strength",
    "vividness",
    "glow",
    "rain_open",
    "rain_centre",
    "rain_width",
    "bow_brightness",
    "cloud_cover",
    "rain_edge_deg",
    "rain_top_gap",
    "rain_patchiness",
    "land_bow",
)
# The sampler's range of each continuous column (yaw_jitter is normal: +/- 3.75 sigma).
RANGES = {
    "sun": (1.0, 30.0),
    "fov": (45.0, 85.0),
    "bow_angle": (-90.0, 90.0),
    "yaw_jitter": (-0.45, 0.45),
    "pitch_jitter": (-0.3, 0.1),
    "airy_scale": (0.12, 0.45),
    "smear": (0.0, 0.3),
    "secondary_strength": (0.0, 0.4),
    "vividness": (2.0, 3.5),
    "glow": (0.25, 0.6),
    "rain_open": (0.0, 1.0),
    "rain_centre": (-0.3, 0.3),
    "rain_width": (0.4, 1.0),
    "bow_brightness": (0.49, 1.04),
    "cloud_cover": (0.15, 1.08),
    "rain_edge_deg": (6.0, 20.0),
    "rain_top_gap": (6.0, 90.0),
    "rain_patchiness": (0.0, 0.8),
    "land_bow": (0.1, 0.6),
}
SCENE_COLUMNS = len(SKIES) + len(LANDSCAPES) + len(CONTINUOUS)


def encode(draws: SceneDraws) -> NDArray[np.float32]:
    """One scene's draws as a row [SCENE_COLUMNS]: sky one-hot, landscape one-hot, continuous."""
    row = np.zeros(SCENE_COLUMNS, dtype=np.float32)
    row[draws.sky] = 1.0
    row[len(SKIES) + draws.landscape] = 1.0
    optics = draws.optics
    values = {
        "airy_scale": optics.airy_scale,
        "smear": optics.smear,
        "secondary_strength": optics.secondary_strength,
        "vividness": optics.vividness,
        "glow": optics.glow,
        "bow_angle": bow_angle(draws),
        # The rain's top above the aimed-at point of the bow, as the sampler draws it (at least
        # 6°): learned as a top in degrees, it came out below the aim in 1 of 7 scenes, whose
        # bow then faded out just where the camera looked.
        "rain_top_gap": draws.rain_top_deg - (42.0 - draws.sun) * draws.aim**0.7,
    }
    start = len(SKIES) + len(LANDSCAPES)
    for i, name in enumerate(CONTINUOUS):
        row[start + i] = values[name] if name in values else float(getattr(draws, name))
    return row


def bow_angle(draws: SceneDraws) -> float:
    """Where on the bow the camera aims, as the angle (degrees) around the 42° circle from its
    top (negative: the left leg). The sampler draws the aim's elevation and a leg; the angle
    says the same smoothly: the top is 0 whichever leg, and the aim's azimuth and elevation
    change in proportion to it (by elevation, the azimuth near the top moves as its square
    root, so a walk over the top would swing the camera)."""
    sun = math.radians(draws.sun)
    elevation = math.radians((42.0 - draws.sun) * draws.aim**0.7)
    r = math.radians(42.0)
    cos_phi = (math.sin(elevation) + math.cos(r) * math.sin(sun)) / (math.sin(r) * math.cos(sun))
    return draws.side * math.degrees(math.acos(min(1.0, max(-1.0, cos_phi))))


def sampler_rows(seeds: Sequence[int]) -> NDArray[np.float32]:
    """The sampler's draws for ``seeds`` as rows [len(seeds), SCENE_COLUMNS]."""
    return np.stack([encode(draw_scene(int(s))[1]) for s in seeds])


class ScenePrior(nn.Module):
    """``z`` [N, 512] and psi [N] -> scene rows [N, SCENE_COLUMNS] (types as softmax weights)."""

    w_avg: Tensor
    low: Tensor
    high: Tensor

    def __init__(self, width: int = 256, layers: int = 3) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        c_in = LATENT_SIZE
        for _ in range(layers):
            blocks += [nn.Linear(c_in, width), nn.LeakyReLU(0.2)]
            c_in = width
        self.net = nn.Sequential(*blocks[:-1])  # w: the last layer's output, before activation
        self.head = nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(width, SCENE_COLUMNS))
        self.register_buffer("w_avg", torch.zeros(width))
        self.register_buffer("low", torch.tensor([RANGES[c][0] for c in CONTINUOUS]))
        self.register_buffer("high", torch.tensor([RANGES[c][1] for c in CONTINUOUS]))

    def mapped(self, z: Tensor) -> Tensor:
        """``w`` [N, width] of ``z`` (normalised by its second moment first)."""
        zn = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        out: Tensor = self.net(zn)
        return out

    def rows(self, w: Tensor) -> Tensor:
        """Scene rows of ``w``."""
        raw = self.head(w)
        k = len(SKIES)
        m = k + len(LANDSCAPES)
        sky = torch.softmax(raw[:, :k], dim=1)
        land = torch.softmax(raw[:, k:m], dim=1)
        cont = self.low + (self.high - self.low) * torch.sigmoid(raw[:, m:])
        return torch.cat([sky, land, cont], dim=1)

    def forward(self, z: Tensor, truncation: Tensor) -> Tensor:
        w = self.mapped(z)
        w = self.w_avg + truncation[:, None] * (w - self.w_avg)
        return self.rows(w)


def energy_distance(a: Tensor, b: Tensor) -> Tensor:
    """Energy distance between samples ``a`` [N, D] and ``b`` [M, D] (the within-set terms
    exclude each point's distance to itself, so the estimate is unbiased)."""

    def within(x: Tensor) -> Tensor:
        n = x.shape[0]
        d = torch.cdist(x, x)
        return d.sum() / (n * (n - 1))

    return 2 * torch.cdist(a, b).mean() - within(a) - within(b)


def _column(rows: Tensor, name: str) -> Tensor:
    return rows[:, len(SKIES) + len(LANDSCAPES) + CONTINUOUS.index(name)]


def aim_camera_torch(rows: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(pitch, yaw, aim elevation, aim azimuth) in degrees, as ``renderer.aim_camera``."""
    sun, fov = _column(rows, "sun"), _column(rows, "fov")
    # The point at ``bow_angle`` around the 42° circle about the antisolar point A: from A,
    # 42° towards "up" (perpendicular to A in the vertical plane) turned by the angle.
    phi, e, r = _column(rows, "bow_angle") * RADIANS, sun * RADIANS, math.radians(42.0)
    along = math.sin(r) * torch.cos(phi)
    x = math.sin(r) * torch.sin(phi)
    y = -math.cos(r) * torch.sin(e) + along * torch.cos(e)
    z = math.cos(r) * torch.cos(e) + along * torch.sin(e)
    aim_elevation = DEGREES * torch.asin(torch.clamp(y, -ACOS_EDGE, ACOS_EDGE))
    aim_azimuth = DEGREES * torch.atan2(x, z)
    yaw = aim_azimuth + _column(rows, "yaw_jitter") * fov
    pitch = aim_elevation + _column(rows, "pitch_jitter") * fov
    pitch = torch.minimum(torch.maximum(pitch, 0.08 * fov), 0.5 * fov + 2.0)
    return pitch, yaw, aim_elevation, aim_azimuth


def scene_parameters(rows: Tensor) -> SceneParameters:
    """The renderer's scene parameters of scene rows (as ``renderer.draw_scene`` builds them)."""
    k = len(SKIES)
    m = k + len(LANDSCAPES)
    pitch, yaw, aim_elevation, aim_azimuth = aim_camera_torch(rows)
    fov = _column(rows, "fov")
    centre = aim_azimuth + _column(rows, "rain_centre") * fov
    half = _column(rows, "rain_width") * fov / 2
    optics = torch.stack(
        [
            _column(rows, c)
            for c in ("airy_scale", "smear", "secondary_strength", "vividness", "glow")
        ],
        dim=1,
    )
    return SceneParameters(
        sky=rows[:, :k],
        land=rows[:, k:m],
        sun=_column(rows, "sun"),
        fov=fov,
        pitch=pitch,
        yaw=yaw,
        optics=optics,
        brightness=_column(rows, "bow_brightness"),
        cloud_cover=_column(rows, "cloud_cover"),
        rain_open=_column(rows, "rain_open"),
        rain_lo=centre - half,
        rain_hi=centre + half,
        rain_edge=_column(rows, "rain_edge_deg"),
        rain_top=aim_elevation + _column(rows, "rain_top_gap"),
        patchiness=_column(rows, "rain_patchiness"),
        land_bow=_column(rows, "land_bow"),
    )
