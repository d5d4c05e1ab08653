"""The rainbow renderer's scenes drawn by torch: batched, ONNX-exportable, random only by input.

This is ``installation.training.rainbow.renderer`` (numpy, one scene at a time, its own random
generator) rewritten so that a generator graph can draw it: every random number a scene uses
comes from an input tensor of uniforms in [0, 1) (``Draws``), the categorical choices (sky
type, landscape type, the flags inside a landscape) are weights that blend their results, so a
small change of the inputs is a small change of the image, and every shape is fixed, so the
graph runs in onnxruntime. The bow's colour comes from the learned optics network
(``BowOptics`` in ``bow_optics_net``), looked up by each pixel's angle from the antisolar
point: the bows are circles around that point, seen through the camera, by construction.

What differs from the numpy renderer, on purpose: landscape silhouettes are looked up from a
fine 1-D table along the azimuth (0.05°) instead of evaluated per pixel; the town's houses
start at -182° instead of at the view's left edge; the flags (a far headland, a golden field, a
gap between houses) fade in over a small band of their uniform instead of switching.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from installation.training.rainbow.renderer import LANDSCAPES, RAIN_SHADE, SKIES, SKY_PALETTES

SKY_TYPES, LANDSCAPE_TYPES = SKIES, LANDSCAPES
RADIANS, DEGREES = math.pi / 180.0, 180.0 / math.pi
# acos and asin are clamped just inside [-1, 1], where their gradients are finite (the walk
# stage of training backpropagates through the angles; 0.03° at the antisolar point itself)
ACOS_EDGE = 1.0 - 1e-7
LATTICE = 64  # value-noise lattice (as the numpy renderer)
RIDGE_LATTICE = 256
# Silhouettes are tabled along the azimuth from the view's centre (yaw): -70..70°, 0.05° a step.
GRID_START_DEG, GRID_STEP_DEG, GRID_SIZE = -70.0, 0.05, 2801
HOUSES = 64  # enough to fill 140° of azimuth (a house and its gap average ~3.6°)
BOW_STEP_DEG, BOW_SAMPLES = 0.1, 1201  # the bow's colour table, 0..120° from the antisolar point

# Palettes of the sky types (linear RGB) and their jitter, from the numpy renderer.
PALETTES = torch.tensor([SKY_PALETTES[sky][0] for sky in SKY_TYPES])  # [4, 5, 3]
PALETTE_JITTER = torch.tensor([SKY_PALETTES[sky][1] for sky in SKY_TYPES])
STORM_STRENGTH = torch.tensor([0.55, 0.8, 0.5, 0.4])
LAND_LIGHT = torch.tensor([1.0, 0.9, 0.7, 0.45])


class Draws:
    """Hands out the uniforms of ``values`` [N, K] in order: ``take(3, 4)`` is [N, 3, 4].

    The order of the calls is the layout of the noise input; ``Draws(None, n)`` counts it.
    """

    def __init__(self, values: Tensor | None, batch: int = 1) -> None:
        self.values = values
        self.batch = batch if values is None else values.shape[0]
        self.used = 0

    def take(self, *shape: int) -> Tensor:
        count = math.prod(shape)
        start, self.used = self.used, self.used + count
        if self.values is None:
            return torch.full((self.batch, *shape), 0.5)
        return self.values[:, start : self.used].reshape(self.batch, *shape)

    def uniform(self, low: float, high: float, *shape: int) -> Tensor:
        return low + (high - low) * self.take(*shape)


@dataclass(frozen=True)
class SceneParameters:
    """A batch of scenes: the parameters of ``renderer.RainbowScene``, as tensors [N] (or
    [N, k]). ``sky`` [N, 4] and ``land`` [N, 5] are blending weights of the types;
    ``rain_open`` is 1 for rain across the whole view, 0 for a curtain from ``rain_lo`` to
    ``rain_hi`` degrees of azimuth."""

    sky: Tensor
    land: Tensor
    sun: Tensor
    fov: Tensor
    pitch: Tensor
    yaw: Tensor
    optics: Tensor  # [N, 5]: airy_scale, smear, secondary_strength, vividness, glow
    brightness: Tensor
    cloud_cover: Tensor
    rain_open: Tensor
    rain_lo: Tensor
    rain_hi: Tensor
    rain_edge: Tensor
    rain_top: Tensor
    patchiness: Tensor
    land_bow: Tensor


def smoothstep(edge0: Tensor | float, edge1: Tensor | float, x: Tensor) -> Tensor:
    t = torch.clamp((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _col(t: Tensor) -> Tensor:
    """[N] -> [N, 1, 1] to broadcast over an image."""
    return t[:, None, None]


def _rgb(t: Tensor) -> Tensor:
    """[N, 3] -> [N, 3, 1, 1]: images are channel-first until ``finish`` (onnxruntime
    broadcasts a per-pixel or per-channel factor over contiguous runs, many times faster than
    over the last axis)."""
    return t[:, :, None, None]


def view_directions(p: SceneParameters, size: int) -> Tensor:
    """Unit world directions [N, size, size, 3] (x right, y up, z towards the antisolar azimuth)."""
    t = torch.tan((p.fov * RADIANS) / 2.0)
    c = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2.0 - 1.0
    u = c[None, None, :].expand(1, size, size)
    v = c[None, :, None].expand(1, size, size)
    x, y, z = u * _col(t), -v * _col(t), torch.ones_like(u * _col(t))
    pitch, yaw = _col(p.pitch * RADIANS), _col(p.yaw * RADIANS)
    cp, sp, cy, sy = torch.cos(pitch), torch.sin(pitch), torch.cos(yaw), torch.sin(yaw)
    y, z = y * cp + z * sp, -y * sp + z * cp
    x, z = x * cy + z * sy, -x * sy + z * cy
    d = torch.stack([x, y, z], dim=-1)
    length: Tensor = torch.linalg.vector_norm(d, dim=-1, keepdim=True)
    return d / length


def value_noise(draws: Draws, x: Tensor, y: Tensor, octaves: int) -> Tensor:
    """Fractal value noise in [0, 1) at (x, y) [N, H, W], as ``renderer.value_noise``.

    Smoothstep interpolation between lattice values is bilinear interpolation at a warped
    position (the cell's corner plus the smoothstep of the fraction), so all octaves are one
    ``grid_sample`` of their lattices, each wrapped by one extra row and column.
    """
    n, h, w = x.shape
    lattice = draws.take(octaves, LATTICE, LATTICE)
    lattice = torch.cat([lattice, lattice[:, :, :1]], dim=2)
    lattice = torch.cat([lattice, lattice[:, :, :, :1]], dim=3)
    offset = draws.take(octaves, 2) * LATTICE
    freq = torch.tensor([2.0**o for o in range(octaves)])[None, :, None, None]
    coords = []
    for c, axis in ((x, 0), (y, 1)):
        g = c[:, None] * freq + offset[:, :, axis, None, None]
        g = g - LATTICE * torch.floor(g * (1.0 / LATTICE))
        g0 = torch.floor(g)
        f = g - g0
        coords.append((g0 + f * f * (3 - 2 * f)) * (2.0 / LATTICE) - 1.0)
    where = torch.stack(coords, dim=-1).reshape(n * octaves, h, w, 2)
    sampled = F.grid_sample(
        lattice.reshape(n * octaves, 1, LATTICE + 1, LATTICE + 1),
        where,
        mode="bilinear",
        align_corners=True,
    )
    amps = torch.tensor([0.5**o for o in range(octaves)])
    amps = amps / amps.sum()
    return torch.einsum("nohw,o->nhw", sampled.reshape(n, octaves, h, w), amps)


def azimuth_grid(yaw: Tensor) -> Tensor:
    """Azimuths [N, GRID_SIZE] (degrees) of the silhouette tables around each view's ``yaw``."""
    steps = GRID_START_DEG + GRID_STEP_DEG * torch.arange(GRID_SIZE, dtype=torch.float32)
    return yaw[:, None] + steps[None, :]


@dataclass(frozen=True)
class RidgeSpec:
    """One ``renderer._ridge`` call: azimuth ``scale``, ``base`` and ``amp`` [N], ``rough``."""

    scale: float
    base: Tensor
    amp: Tensor
    rough: float


def ridges(draws: Draws, specs: list[RidgeSpec], grid: Tensor) -> Tensor:
    """Fractal height profiles [N, R, GRID_SIZE] (degrees of elevation) along the azimuth
    table, as ``renderer._ridge`` of ``azimuth * scale`` (6 octaves), all at once."""
    r, octaves = len(specs), 6
    vals = draws.take(r, octaves, RIDGE_LATTICE)
    shift = draws.take(r, octaves, 1) * RIDGE_LATTICE
    scale = torch.tensor([sp.scale for sp in specs])[:, None, None]
    freq = torch.tensor([2.0**o / 30.0 for o in range(octaves)])[None, :, None]
    g = grid[:, None, None, :] * (scale * freq)[None] + shift  # [N, R, O, G]
    i0 = torch.floor(g)
    f = g - i0
    f = f * f * (3 - 2 * f)
    k0 = (i0 - RIDGE_LATTICE * torch.floor(i0 * (1.0 / RIDGE_LATTICE))).long()
    k1 = torch.where(k0 == RIDGE_LATTICE - 1, torch.zeros_like(k0), k0 + 1)
    profile = torch.gather(vals, 3, k0) * (1 - f) + torch.gather(vals, 3, k1) * f
    amps = torch.tensor([[sp.rough**o for o in range(octaves)] for sp in specs])
    amps = amps / amps.sum(dim=1, keepdim=True)
    total = torch.einsum("nrog,ro->nrg", profile, amps)
    base = torch.stack([sp.base for sp in specs], dim=1)[..., None]
    amp = torch.stack([sp.amp for sp in specs], dim=1)[..., None]
    return base + amp * (total - 0.3)


def town_skyline(draws: Draws, grid: Tensor) -> Tensor:
    """Heights [N, GRID_SIZE] of a row of houses (flat, pitched roofs, a few spires)."""
    width = draws.uniform(1.0, 5.0, HOUSES)
    height = draws.uniform(1.0, 6.0, HOUSES)
    roof = draws.take(HOUSES)
    gap = draws.uniform(0.0, 3.0, HOUSES) * (1 - smoothstep(0.35, 0.45, draws.take(HOUSES)))
    step = width + gap
    start = grid[:, :1] - 2.0 + torch.cumsum(step, dim=1) - step  # [N, M]
    az = grid
    # The house each grid point is in (or after): the number of houses started before it.
    house = torch.clamp((az[:, :, None] >= start[:, None, :]).sum(dim=2) - 1, 0, HOUSES - 1)
    start, width = torch.gather(start, 1, house), torch.gather(width, 1, house)
    height, roof = torch.gather(height, 1, house), torch.gather(roof, 1, house)
    offset = torch.abs(az - (start + width / 2))
    pitched = height + (width / 2 - offset) * 0.6
    spire_top = height + 3.0 + 6.0 * torch.clamp(1 - offset / 0.8, 0.0, 1.0)
    spire = torch.where(offset < 0.8, spire_top, height)
    shape = torch.where(roof < 0.35, pitched, torch.where(roof < 0.42, spire, height))
    return torch.where(az < start + width, shape, torch.zeros_like(shape))


def lookup_azimuth(tables: Tensor, grid: Tensor, azimuth: Tensor) -> Tensor:
    """Tables [N, R, GRID_SIZE] on ``grid`` at each pixel's azimuth [N, H, W] -> [N, R, H, W]
    (linear; clamped at the table's ends)."""
    n, r, _ = tables.shape
    pos = (azimuth - grid[:, :1, None]) / GRID_STEP_DEG
    i0 = torch.clamp(torch.floor(pos), 0, GRID_SIZE - 2)
    f = (pos - i0)[:, None]
    index = i0.long().reshape(n, 1, -1).expand(n, r, -1)
    lo = torch.gather(tables, 2, index).reshape(n, r, *azimuth.shape[1:])
    hi = torch.gather(tables, 2, index + 1).reshape(n, r, *azimuth.shape[1:])
    return lo * (1 - f) + hi * f


def lookup_bow(table: Tensor, theta: Tensor) -> Tensor:
    """Bow light tables [N, BOW_SAMPLES, 3] at each pixel's angle [N, H, W] -> [N, 3, H, W]."""
    n, h, w = theta.shape
    pos = torch.clamp(theta / BOW_STEP_DEG, 0.0, BOW_SAMPLES - 1.0)
    i0 = torch.clamp(torch.floor(pos), 0, BOW_SAMPLES - 2)
    f = (pos - i0)[:, None]
    index = i0.long().reshape(n, 1, -1).expand(n, 3, -1)
    channels = table.transpose(1, 2)  # [N, 3, T]
    lo = torch.gather(channels, 2, index).reshape(n, 3, h, w)
    hi = torch.gather(channels, 2, index + 1).reshape(n, 3, h, w)
    return lo * (1 - f) + hi * f


@dataclass
class _Frame:
    """What every stage of a render shares: the view at full size, and at half size for the
    soft noise fields (``renderer.CoarseView``)."""

    p: SceneParameters
    d: Tensor  # [N, H, W, 3]
    elevation: Tensor  # [N, H, W] degrees
    azimuth: Tensor
    pixel_deg: Tensor  # [N, 1, 1]
    coarse_d: Tensor
    coarse_elevation: Tensor
    coarse_azimuth: Tensor

    def up(self, field: Tensor) -> Tensor:
        """A half-size field [N, h, w] resized to the image [N, H, W] (bilinear, pixel centres
        at i + 0.5, edges clamped: ``renderer.resize_matrix``)."""
        size = self.d.shape[1]
        out = F.interpolate(field[:, None], size=(size, size), mode="bilinear", align_corners=False)
        return out[:, 0]


def _angles(d: Tensor) -> tuple[Tensor, Tensor]:
    """(elevation, azimuth) in degrees of directions [N, H, W, 3]."""
    elevation = DEGREES * torch.asin(torch.clamp(d[..., 1], -ACOS_EDGE, ACOS_EDGE))
    return elevation, DEGREES * torch.atan2(d[..., 0], d[..., 2])


def _frame(p: SceneParameters, size: int) -> _Frame:
    d = view_directions(p, size)
    elevation, azimuth = _angles(d)
    half = max(1, size // 2)
    coarse = view_directions(p, half)
    c_elevation, c_azimuth = _angles(coarse)
    return _Frame(
        p, d, elevation, azimuth, _col(p.fov / size), coarse, c_elevation, c_azimuth
    )  # fmt: skip


def _palette(p: SceneParameters, draws: Draws) -> Tensor:
    """Jittered palettes blended by the sky weights: [N, 5, 3]."""
    jitter = draws.take(4, 5, 3)
    amount = PALETTE_JITTER[None, :, None, None]
    pal = PALETTES[None] * (1 - amount + 2 * amount * jitter)
    return torch.einsum("nk,nkcj->ncj", p.sky, pal)


def _cloud_plane(d: Tensor) -> tuple[Tensor, Tensor]:
    lift = torch.clamp(d[..., 1], min=0.0) + 0.06
    return d[..., 0] / lift, d[..., 2] / lift


def _sky(f: _Frame, pal: Tensor, draws: Draws) -> tuple[Tensor, Tensor]:
    """(sky radiance [N, H, W, 3], haze colour [N, 3]); the gradient, storm and cloud noise
    at half size, as the numpy renderer."""
    p = f.p
    el = torch.clamp(f.coarse_elevation, 0.0, 90.0)
    height = f.up(1.0 - torch.exp(-el / 12.0))[:, None]
    zenith, horizon, storm_c = _rgb(pal[:, 0]), _rgb(pal[:, 1]), _rgb(pal[:, 2])
    strength = p.sky @ STORM_STRENGTH
    storm_width = draws.uniform(40.0, 120.0, 1)[:, 0]
    shape = torch.exp(-((f.coarse_azimuth / _col(storm_width)) ** 2))
    shape = shape * smoothstep(-2.0, 12.0, f.coarse_elevation)
    storm = f.up(_col(strength) * shape * _col(draws.uniform(0.6, 1.0, 1)[:, 0]))[:, None]
    sky = horizon + (zenith - horizon) * height
    sky = sky + storm * (storm_c - sky)
    px, pz = _cloud_plane(f.coarse_d)
    scale = _col(draws.uniform(0.6, 1.5, 1)[:, 0])
    n = f.up(value_noise(draws, px * scale, pz * scale * 1.8, octaves=5))
    cover = _col(p.cloud_cover)
    density = smoothstep(1.0 - cover - 0.05, 1.0 - cover + 0.3, n)
    density = (density * smoothstep(-1.0, 4.0, f.elevation))[:, None]
    shade = f.up(value_noise(draws, px * scale * 2.0, pz * scale * 3.0, octaves=3))
    lit, dark = _rgb(pal[:, 3]), _rgb(pal[:, 4])
    cloud = (dark + (lit - dark) * (torch.clamp(shade, min=0.0) ** 1.5)[:, None]) * (
        1.0 - 0.5 * storm
    )
    sky = sky + density * (cloud - sky)
    return sky, pal[:, 1] * 0.8 + pal[:, 2] * 0.2


def _rain(f: _Frame, draws: Draws) -> Tensor:
    """How much rain (bow light) lies along each pixel's line of sight [N, H, W]."""
    p = f.p
    edge = _col(p.rain_edge)
    lo, hi = _col(p.rain_lo), _col(p.rain_hi)
    curtain = smoothstep(lo - edge, lo + edge, f.azimuth) * (
        1 - smoothstep(hi - edge, hi + edge, f.azimuth)
    )
    mask = _col(p.rain_open) + (1 - _col(p.rain_open)) * curtain
    top = _col(p.rain_top)
    mask = mask * (1 - smoothstep(top - 8.0, top + 8.0, f.elevation))
    patches = f.up(
        value_noise(draws, f.coarse_azimuth / 25.0, f.coarse_elevation / 40.0, octaves=2)
    )
    return mask * (1.0 - _col(p.patchiness) * smoothstep(0.3, 0.75, patches))


class _Painter:
    """``renderer._landscape``'s ``paint``: shaded land layers over an image."""

    def __init__(self, f: _Frame, bow: Tensor, haze: Tensor, draws: Draws) -> None:
        p = f.p
        self.f = f
        tex = f.up(value_noise(draws, f.coarse_azimuth / 3.0, f.coarse_elevation / 1.5, octaves=3))
        self.light = _col(p.sky @ LAND_LIGHT)[:, None]
        sunset = p.sky[:, 2:3]
        warm = _rgb(1.0 + sunset * (torch.tensor([1.0, 0.75, 0.55]) - 1.0))
        self.shading = (0.75 + 0.5 * tex[:, None]) * (self.light * warm)  # [N, 3, H, W]
        self.near_horizon = smoothstep(-4.0, 0.5, f.elevation)[:, None]
        self.land_bow = _col(p.land_bow)[:, None]
        self.bow_light = bow * (self.land_bow * self.near_horizon)
        self.bow = bow
        self.haze = _rgb(haze)

    def coverage(self, height: Tensor) -> Tensor:
        """Anti-aliased coverage [N, H, W] of a silhouette whose top is ``height``."""
        return torch.clamp((height - self.f.elevation) / self.f.pixel_deg + 0.5, 0.0, 1.0)

    def paint(self, img: Tensor, cover: Tensor, colour: Tensor, distance: Tensor) -> Tensor:
        """``img`` under a layer of ``colour`` [N, 3] at ``distance`` [N] (0 near, 1 in the
        haze) where ``cover`` [N, H, W]."""
        d = distance[:, None, None, None]
        shaded = self.shading * _rgb(colour) * (1 - d) + (self.haze * d + self.bow_light * d)
        return img + cover[:, None] * (shaded - img)


@dataclass(frozen=True)
class _Layer:
    """One silhouette layer of a landscape type: a row of the height tables, its colour [N, 3]
    and its distance (0 near .. 1 in the haze)."""

    row: int
    colour: Tensor
    distance: float


def _landscapes(f: _Frame, image: Tensor, bow: Tensor, haze: Tensor, draws: Draws) -> Tensor:
    """The landscape types composited onto ``image``, blended by the ``land`` weights.

    Every type is a base (ground, or the sea) and up to three silhouette layers, back to front.
    Layer k of the image is the land-weighted blend of the types' layer k (their heights,
    colours and distances, among the types that have one), faded by the weight of the types
    that have it; with one type at weight 1 this is that type's landscape exactly.
    """
    pt = _Painter(f, bow, haze, draws)
    el = f.elevation
    ground = torch.tensor([0.1, 0.16, 0.05]) * draws.uniform(0.7, 1.3, 3)
    zero = torch.zeros(draws.batch)

    def u(low: float, high: float) -> Tensor:
        return draws.uniform(low, high, 1)[:, 0]

    specs = [
        RidgeSpec(1.0, zero + 0.5, u(1.0, 3.0), 0.5),  # 0 sea headland
        RidgeSpec(1.0, 1.0 + u(0.0, 3.0), 9.0 * u(0.7, 1.4), 0.55),  # 1-3 mountains
        RidgeSpec(1.0, 0.0 + u(0.0, 3.0), 6.0 * u(0.7, 1.4), 0.6),
        RidgeSpec(1.0, zero + 0.5, zero + 2.0, 0.4),
    ]
    specs += [RidgeSpec(1.0, u(0.5, 2.5), u(2.0, 6.0), 0.35) for _ in range(3)]  # 4-6 hills
    specs += [
        RidgeSpec(1.0, zero + 1.0, zero + 2.0, 0.4),  # 7-8 trees
        RidgeSpec(4.0, u(2.0, 5.0), u(2.0, 5.0), 0.7),
        RidgeSpec(1.0, zero + 0.5, zero + 2.0, 0.4),  # 9 town's far ground
    ]
    grid = azimuth_grid(f.p.yaw)
    heights = ridges(draws, specs, grid)
    # The sea's headland tapers into the sea; 10: the town's houses.
    headland = 1 - smoothstep(0.45, 0.55, draws.take(1))
    reach = (grid - u(-60.0, 60.0)[:, None]) / u(8.0, 35.0)[:, None]
    # (clamped above 0, not at it: the square root's gradient at 0 is infinite, and the walk
    # stage of training backpropagates through here)
    cape = heights[:, 0] * torch.sqrt(torch.clamp(1.0 - reach**2, min=1e-12)) - 0.5
    # Without a headland it sinks below the sea's horizon (and stays behind the near sea).
    cape = -0.5 + headland * (cape + 0.5)
    heights = torch.cat([cape[:, None], heights[:, 1:], town_skyline(draws, grid)[:, None]], dim=1)

    # Bases: ground below the horizon; for the sea, water to a horizon 0.3° below it.
    on_ground = pt.paint(image, pt.coverage(torch.zeros_like(el)), ground, zero + 0.3)
    sea = torch.tensor([0.03, 0.07, 0.1]) * draws.uniform(0.7, 1.4, 3)
    depth = torch.clamp(-el / 15.0, 0.0, 1.0)[:, None]
    glint = f.up(value_noise(draws, f.coarse_azimuth / 1.5, f.coarse_elevation * 4.0, octaves=2))
    water = pt.haze * 0.4 * (1 - depth) + _rgb(sea) * depth + 0.05 * glint[:, None] * pt.light
    water = water + bow * pt.land_bow * 0.5 * pt.near_horizon
    sea_cover = pt.coverage(torch.full_like(el, -0.3))
    on_sea = image + sea_cover[:, None] * (water - image)
    w = f.p.land  # hills, sea, mountains, trees, town
    img = on_ground + w[:, 1, None, None, None] * (on_sea - on_ground)

    hills = []
    for row, distance in zip((4, 5, 6), (0.6, 0.35, 0.1), strict=True):
        green = torch.tensor([0.08, 0.2, 0.04]) * draws.uniform(0.6, 1.5, 3)
        golden = torch.tensor([0.35, 0.28, 0.08]) * draws.uniform(0.7, 1.2, 3)
        gold = 1 - smoothstep(0.25, 0.35, draws.take(1))
        hills.append(_Layer(row, green + gold * (golden - green), distance))
    rocks = [torch.tensor([0.12, 0.13, 0.16]) * draws.uniform(0.7, 1.3, 3) for _ in range(2)]
    dark = torch.tensor([0.02, 0.05, 0.02]) * draws.uniform(0.7, 1.5, 3)
    stone = torch.tensor([0.06, 0.06, 0.07]) * draws.uniform(0.6, 1.6, 3)
    types: list[list[_Layer]] = [
        hills,
        [_Layer(0, ground, 0.6)],
        [_Layer(1, rocks[0], 0.75), _Layer(2, rocks[1], 0.5), _Layer(3, ground, 0.15)],
        [_Layer(7, ground, 0.5), _Layer(8, dark, 0.05)],
        [_Layer(9, ground, 0.5), _Layer(10, stone, 0.1)],
    ]
    blended, colours, distances, presence = [], [], [], []
    for k in range(3):
        having = [(t, layers[k]) for t, layers in enumerate(types) if len(layers) > k]
        weight = torch.stack([w[:, t] for t, _ in having], dim=1)  # [N, T_k]
        present = weight.sum(dim=1)
        share = weight / torch.clamp(present, min=1e-6)[:, None]
        rows = torch.stack([heights[:, layer.row] for _, layer in having], dim=1)
        blended.append(torch.einsum("nt,ntg->ng", share, rows))
        colours.append(
            torch.einsum("nt,ntc->nc", share, torch.stack([x.colour for _, x in having], 1))
        )
        distances.append(share @ torch.tensor([x.distance for _, x in having]))
        presence.append(present)
    tops = lookup_azimuth(torch.stack(blended, dim=1), grid, f.azimuth)  # [N, 3, H, W]
    for k in range(3):
        cover = pt.coverage(tops[:, k]) * _col(presence[k])
        if k == 0:  # the sea's headland stays behind the near sea
            cover = cover * (1 - _col(w[:, 1]) * sea_cover)
        img = pt.paint(img, cover, colours[k], distances[k])
    return img


def finish(image: Tensor) -> Tensor:
    """Vignette, hue-preserving highlight shoulder and display gamma: linear [N, 3, H, W] ->
    display values in [0, 1], [N, H, W, 3]."""
    size = image.shape[2]
    c = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    r2 = c[None, :] ** 2 + c[:, None] ** 2
    image = torch.clamp(image * (1.0 - 0.12 * r2)[None, None], min=0.0)
    peak = torch.amax(image, dim=1, keepdim=True)
    knee = 0.8
    rolled = torch.where(
        peak > knee, knee + (1 - knee) * torch.tanh((peak - knee) / (1 - knee)), peak
    )
    image = image * (rolled / torch.clamp(peak, min=1e-6))
    return (torch.clamp(image, 1e-8, 1.0) ** (1 / 2.2)).permute(0, 2, 3, 1)


BowTables = Callable[[SceneParameters], Tensor]  # scenes -> [N, BOW_SAMPLES, 3] linear bow light


def render(p: SceneParameters, draws: Draws, size: int, bow_tables: BowTables) -> Tensor:
    """Display images [N, size, size, 3] in [0, 1] of the scenes ``p``; ``draws`` hands out
    the uniforms of every random choice (``noise_size()`` of them per image)."""
    frame = _frame(p, size)
    e = p.sun * RADIANS
    antisolar = torch.stack([torch.zeros_like(e), -torch.sin(e), torch.cos(e)], dim=1)
    cos_theta = torch.einsum("nhwc,nc->nhw", frame.d, antisolar)
    theta = DEGREES * torch.acos(torch.clamp(cos_theta, -ACOS_EDGE, ACOS_EDGE))
    pal = _palette(p, draws)
    sky, haze = _sky(frame, pal, draws)
    bow = lookup_bow(bow_tables(p), theta) * _col(p.brightness)[:, None]
    rain = _rain(frame, draws)[:, None]
    in_rain = rain * smoothstep(-1.0, 3.0, frame.elevation)[:, None]
    image = sky * (1.0 - RAIN_SHADE * in_rain) + bow * in_rain
    image = _landscapes(frame, image, bow * rain, haze, draws)
    return finish(image)


def example_scenes(n: int) -> SceneParameters:
    """``n`` copies of one plain scene (for counting draws and shape checks)."""

    def full(value: float, *shape: int) -> Tensor:
        return torch.full((n, *shape), value)

    return SceneParameters(
        sky=full(0.25, 4), land=full(0.2, 5), sun=full(20.0), fov=full(60.0), pitch=full(15.0),
        yaw=full(0.0), optics=full(0.3, 5), brightness=full(1.0), cloud_cover=full(0.5),
        rain_open=full(1.0), rain_lo=full(-30.0), rain_hi=full(30.0), rain_edge=full(10.0),
        rain_top=full(90.0), patchiness=full(0.0), land_bow=full(0.3),
    )  # fmt: skip


def noise_size() -> int:
    """How many uniforms ``render`` takes per image."""
    draws = Draws(None, 1)
    render(example_scenes(1), draws, 4, lambda p: torch.zeros(1, BOW_SAMPLES, 3))
    return draws.used
