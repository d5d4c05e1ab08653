"""A physically motivated lava lamp simulator that renders training footage (numpy only).

The lamp is a tapered glass vessel (narrow at the top, wide at the bottom) on a metal base
that holds the heating lamp. Wax is a set of particles; each carries a position, velocity,
radius and temperature:

* Heat: the base lamp heats wax near the bottom; the liquid is warm at the bottom and cool
  at the top, and every particle relaxes towards the liquid's temperature at its height
  (small particles faster than big ones). Touching particles conduct heat to each other.
* Buoyancy: wax expands when hot, so hot wax is lighter than the liquid and rises; cool wax
  is denser and sinks. Stokes drag damps the motion.
* Cohesion: particles within reach of each other pull towards a rest distance and push
  apart when overlapping, so neighbours form blobs that stretch when parts heat unevenly,
  merge when they touch and split when the pull is exceeded.
* Glass: particles are kept inside the tapered vessel (a collision with the wall reflects
  and damps the velocity).

Rendering draws the wax as metaballs (a sum of Gaussians thresholded with a soft edge),
lit from below, translucent, with a glow, over coloured liquid inside the glass. The
separable Gaussians make the field one small matrix product, so a 64x64 frame costs well
under a millisecond. Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Vessel geometry as fractions of the frame (y grows downwards).
GLASS_TOP = 0.10
GLASS_BOTTOM = 0.80
HALF_WIDTH_TOP = 0.11
HALF_WIDTH_BOTTOM = 0.21
CAP_TOP = 0.02
BASE_BOTTOM = 0.98


@dataclass(frozen=True)
class LavaPalette:
    """Colours of one lamp: liquid, wax, glow and the lamp's light (RGB in 0..1)."""

    liquid: tuple[float, float, float]
    wax: tuple[float, float, float]
    glow: tuple[float, float, float]


CLASSIC_PALETTE = LavaPalette(
    liquid=(0.20, 0.10, 0.45), wax=(1.00, 0.45, 0.12), glow=(1.0, 0.55, 0.25)
)


@dataclass(frozen=True)
class LavaPhysics:
    """Physical constants of the simulated lamp, in pixels of a 64-pixel-high frame and seconds."""

    particles: int = 26
    radius_min: float = 2.6
    radius_max: float = 4.4
    heating_rate: float = 1.0  # 1/s at the heater, for a particle of radius 3
    cooling_rate: float = 0.2  # 1/s towards the liquid temperature
    conduction_rate: float = 0.04  # 1/s between touching particles
    buoyancy: float = 12.0  # px/s^2 for molten wax
    neutral_temperature: float = 0.5
    drag: float = 2.2  # 1/s for a particle of radius 3
    cohesion: float = 6.0  # px/s^2 per px of stretch
    cohesion_reach: float = 1.15  # times (r_i + r_j): beyond it the bond breaks
    rest_distance: float = 0.75  # times (r_i + r_j)
    jitter: float = 3.0  # px/s^2 of random forcing (convection eddies)
    max_substep: float = 1.0 / 60.0
    liquid_temperature_bottom: float = 0.35
    heater_reach: float = 1.5  # px above the bottom where the bulb's heat reaches
    melting_point: float = 0.8
    setting_point: float = 0.3
    solid_density_excess: float = 0.6  # set wax's excess density relative to molten wax's deficit
    thermal_expansion: float = 0.5


def glass_half_width(y: FloatArray | float, size: int) -> FloatArray:
    """Half width in pixels of the glass interior at pixel row ``y`` (linear taper)."""
    frac = (np.asarray(y, dtype=np.float64) / size - GLASS_TOP) / (GLASS_BOTTOM - GLASS_TOP)
    frac = np.clip(frac, 0.0, 1.0)
    return (HALF_WIDTH_TOP + (HALF_WIDTH_BOTTOM - HALF_WIDTH_TOP) * frac) * size


def _smoothstep(edge0: float, edge1: float, x: FloatArray) -> FloatArray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float64)


def _gaussian_blur_matrix(n: int, sigma: float) -> FloatArray:
    idx = np.arange(n, dtype=np.float64)
    m = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) / sigma) ** 2)
    return np.asarray(m / m.sum(axis=1, keepdims=True), dtype=np.float64)


class _LampBackdrop:
    """The static parts of a frame: background, glass mask, light profile, base and cap."""

    def __init__(self, size: int, palette: LavaPalette) -> None:
        s = size
        yy, xx = np.mgrid[0:s, 0:s].astype(np.float64) + 0.5
        cx = s / 2.0
        half = glass_half_width(yy, s)
        inside_x = _smoothstep(-0.7, 0.7, half - np.abs(xx - cx))
        inside_y = _smoothstep(-0.7, 0.7, yy - GLASS_TOP * s) * _smoothstep(
            -0.7, 0.7, GLASS_BOTTOM * s - yy
        )
        self.glass = inside_x * inside_y
        self.yy = yy
        self.xx = xx
        # Light from the bulb under the glass: strong at the bottom, fading upwards.
        height_above_bulb = np.clip(GLASS_BOTTOM * s - yy, 0.0, None) / s
        self.light = 0.30 + 0.95 * np.exp(-height_above_bulb / 0.28)
        # Cylindrical shading across the glass (a bit brighter in the middle).
        rel = np.clip((xx - cx) / np.maximum(half, 1e-6), -1.0, 1.0)
        self.across = 0.75 + 0.25 * np.sqrt(1.0 - rel**2)
        liquid = np.asarray(palette.liquid)[None, None, :]
        liquid_img = liquid * (self.light * self.across)[..., None]
        # A faint vertical highlight on the left of the glass (reflection of the room).
        highlight = np.exp(-0.5 * ((rel + 0.62) / 0.10) ** 2) * 0.18
        liquid_img = liquid_img + highlight[..., None]
        background = np.zeros((s, s, 3))
        vignette = 0.06 + 0.05 * np.exp(
            -(((xx - cx) / (0.45 * s)) ** 2 + ((yy - 0.5 * s) / (0.6 * s)) ** 2)
        )
        background += vignette[..., None] * np.array([0.5, 0.45, 0.6])
        # Halo of the lamp's light on the wall behind it.
        halo_dist = np.maximum(np.abs(xx - cx) - half, 0.0) / s
        halo = np.exp(-halo_dist / 0.08) * (yy > GLASS_TOP * s) * (yy < GLASS_BOTTOM * s) * 0.22
        background += halo[..., None] * np.asarray(palette.glow) * self.light[..., None] * 0.6
        self.liquid_img = liquid_img
        metal = self._metal_parts(s, xx, yy, cx)
        self.metal_mask = metal[0]
        self.metal_img = metal[1]
        self.background = background

    @staticmethod
    def _metal_parts(
        s: int, xx: FloatArray, yy: FloatArray, cx: float
    ) -> tuple[FloatArray, FloatArray]:
        # Base: a cone widening downwards from the glass bottom to the floor.
        base_frac = np.clip((yy / s - GLASS_BOTTOM) / (BASE_BOTTOM - GLASS_BOTTOM), 0.0, 1.0)
        base_half = (HALF_WIDTH_BOTTOM * 0.95 + 0.12 * base_frac) * s
        in_base = (
            _smoothstep(-0.7, 0.7, base_half - np.abs(xx - cx))
            * _smoothstep(-0.7, 0.7, yy - GLASS_BOTTOM * s)
            * _smoothstep(-0.7, 0.7, BASE_BOTTOM * s - yy)
        )
        # Cap: a cone narrowing upwards from the glass top.
        cap_frac = np.clip((yy / s - CAP_TOP) / (GLASS_TOP - CAP_TOP), 0.0, 1.0)
        cap_half = (0.05 + (HALF_WIDTH_TOP * 1.02 - 0.05) * cap_frac) * s
        in_cap = (
            _smoothstep(-0.7, 0.7, cap_half - np.abs(xx - cx))
            * _smoothstep(-0.7, 0.7, yy - CAP_TOP * s)
            * _smoothstep(-0.7, 0.7, GLASS_TOP * s - yy)
        )
        mask = np.clip(in_base + in_cap, 0.0, 1.0)
        half = np.where(yy > 0.5 * s, base_half, cap_half)
        rel = np.clip((xx - cx) / np.maximum(half, 1e-6), -1.0, 1.0)
        # Brushed metal: a bright streak left of centre, dark edges.
        shade = 0.18 + 0.45 * np.exp(-0.5 * ((rel + 0.35) / 0.3) ** 2) + 0.1 * (1.0 - rel**2)
        colour = shade[..., None] * np.array([0.85, 0.82, 0.9])
        return mask, colour


class LavaSimulator:
    """A deterministic lava lamp: ``step(dt)`` advances the physics, ``render()`` draws a frame.

    Positions are in pixels of a ``size`` x ``size`` frame with y growing downwards.
    """

    def __init__(
        self,
        seed: int,
        size: int = 64,
        physics: LavaPhysics | None = None,
        palette: LavaPalette = CLASSIC_PALETTE,
    ) -> None:
        if size < 16:
            raise ValueError(f"size must be at least 16 pixels, got {size}")
        self.size = size
        self.physics = physics or LavaPhysics()
        self.palette = palette
        self.time = 0.0
        self._rng = np.random.default_rng(seed)
        # Physics runs in units of a 64-pixel frame; rendering scales to ``size``.
        self._scale = size / 64.0
        p = self.physics
        n = p.particles
        rng = self._rng
        self.radius = rng.uniform(p.radius_min, p.radius_max, n)
        y = rng.uniform(0.35, 0.95, n) * (GLASS_BOTTOM - GLASS_TOP) * 64.0 + GLASS_TOP * 64.0
        half = glass_half_width(y, 64) - self.radius
        x = 32.0 + rng.uniform(-1.0, 1.0, n) * np.maximum(half, 0.0) * 0.8
        self.position = np.stack([x, y], axis=1)
        self.velocity = np.zeros((n, 2))
        self.temperature = rng.uniform(0.2, 0.8, n)
        self.molten = self.temperature > 0.5
        self._backdrop = _LampBackdrop(size, palette)
        self._glow_blur = _gaussian_blur_matrix(size, 2.2 * self._scale)
        self._axis = np.arange(size, dtype=np.float64) + 0.5
        self._constrain()

    # --- physics -------------------------------------------------------------------------

    def step(self, dt: float) -> None:
        """Advance the lamp by ``dt`` seconds (split into stable substeps)."""
        if dt <= 0:
            return
        substeps = max(1, int(np.ceil(dt / self.physics.max_substep)))
        h = dt / substeps
        for _ in range(substeps):
            self._substep(h)
        self.time += dt

    def _substep(self, h: float) -> None:
        p = self.physics
        pos, vel, temp, rad = self.position, self.velocity, self.temperature, self.radius
        size_factor = 3.0 / rad
        # Liquid temperature: warm at the bottom, cool at the top.
        height = (GLASS_BOTTOM * 64.0 - pos[:, 1]) / ((GLASS_BOTTOM - GLASS_TOP) * 64.0)
        liquid_temp = np.clip(p.liquid_temperature_bottom - 0.2 * height, 0.0, 1.0)
        # The bulb heats wax that rests on (or near) the bottom of the glass.
        gap = GLASS_BOTTOM * 64.0 - (pos[:, 1] + 0.6 * rad)
        heater = np.exp(-np.clip(gap, 0.0, None) / p.heater_reach)
        d_temp = p.cooling_rate * size_factor * (liquid_temp - temp)
        d_temp += p.heating_rate * size_factor * heater * (1.2 - temp)
        # Pairwise geometry.
        diff = pos[None, :, :] - pos[:, None, :]  # diff[i, j] = pos_j - pos_i
        dist = np.sqrt((diff**2).sum(axis=2)) + 1e-9
        rsum = rad[:, None] + rad[None, :]
        bonded = (dist < p.cohesion_reach * rsum) & ~np.eye(len(rad), dtype=bool)
        # Conduction between touching particles.
        d_temp += (
            p.conduction_rate
            * (bonded * (temp[None, :] - temp[:, None])).sum(axis=1)
            / np.maximum(bonded.sum(axis=1), 1)
        )
        # Cohesion: spring towards the rest distance along each bond.
        stretch = (dist - p.rest_distance * rsum) * bonded
        force = p.cohesion * (stretch / dist)[..., None] * diff
        # Surface tension pulls a particle towards its neighbours' mean, whatever their number.
        acc = force.sum(axis=1) / np.maximum(bonded.sum(axis=1), 1)[:, None]
        # Buoyancy (negative y is up): molten wax has expanded and is lighter than the liquid,
        # set wax is denser; within a phase, warmer wax is a little lighter.
        phase = np.where(self.molten, 1.0, -p.solid_density_excess)
        acc[:, 1] -= p.buoyancy * (phase + p.thermal_expansion * (temp - p.neutral_temperature))
        acc += self._rng.normal(0.0, p.jitter, acc.shape)
        vel += h * acc
        vel *= np.exp(-h * p.drag * size_factor)[:, None]
        pos += h * vel
        self.temperature = np.clip(temp + h * d_temp, 0.0, 1.2)
        # Melting and setting with hysteresis (wax melts above one point, sets below a lower one).
        self.molten = (self.molten | (self.temperature > p.melting_point)) & ~(
            self.temperature < p.setting_point
        )
        self._constrain()

    def _constrain(self) -> None:
        pos, vel, rad = self.position, self.velocity, self.radius
        top = GLASS_TOP * 64.0 + rad
        bottom = GLASS_BOTTOM * 64.0 - rad * 0.6
        hit_top = pos[:, 1] < top
        hit_bottom = pos[:, 1] > bottom
        pos[:, 1] = np.clip(pos[:, 1], top, bottom)
        vel[hit_top | hit_bottom, 1] *= -0.3
        # Radius allowed for a particle at its height: its metaball must stay within the glass.
        half = glass_half_width(pos[:, 1], 64) - rad
        off = pos[:, 0] - 32.0
        hit_side = np.abs(off) > half
        pos[:, 0] = 32.0 + np.clip(off, -half, half)
        vel[hit_side, 0] *= -0.3

    def wax_inside_glass(self) -> bool:
        """True when every wax particle, including its radius, lies inside the glass."""
        pos, rad = self.position, self.radius
        half = glass_half_width(pos[:, 1], 64)
        inside_x = np.abs(pos[:, 0] - 32.0) + rad <= half + 1e-6
        inside_y = (pos[:, 1] - rad >= GLASS_TOP * 64.0 - 1e-6) & (
            pos[:, 1] + 0.6 * rad <= GLASS_BOTTOM * 64.0 + 1e-6
        )
        return bool(np.all(inside_x & inside_y) and np.all(np.isfinite(pos)))

    # --- rendering -----------------------------------------------------------------------

    def wax_field(self) -> FloatArray:
        """The metaball field (sum of Gaussians, one per particle) on the pixel grid."""
        s = self._scale
        pos = self.position * s
        sigma = self.radius * s * 0.62
        gx = np.exp(-0.5 * ((self._axis[None, :] - pos[:, 0:1]) / sigma[:, None]) ** 2)
        gy = np.exp(-0.5 * ((self._axis[None, :] - pos[:, 1:2]) / sigma[:, None]) ** 2)
        return np.asarray(gy.T @ gx)

    def render(self) -> NDArray[np.uint8]:
        """Draw the current state as an RGB uint8 frame of shape (size, size, 3)."""
        b = self._backdrop
        field = self.wax_field()
        mask = _smoothstep(0.5, 0.9, field) * b.glass
        thickness = np.clip(field - 0.7, 0.0, 1.5)
        light = b.light
        wax_col = np.asarray(self.palette.wax)[None, None, :]
        # Lit from below: the lower part of the wax shines, thick wax is deeper in colour.
        wax_img = wax_col * (0.35 + 0.65 * light * b.across)[..., None]
        wax_img = (
            wax_img * (1.0 - 0.18 * thickness)[..., None]
            + 0.12 * light[..., None] * (1.0 - mask)[..., None]
        )
        # Translucent wax: some liquid colour shows through at the edges.
        img = b.liquid_img * (1.0 - 0.85 * mask)[..., None] + wax_img * (0.85 * mask)[..., None]
        glow = self._glow_blur @ mask @ self._glow_blur.T
        img += (glow * light * 0.35)[..., None] * np.asarray(self.palette.glow)[None, None, :]
        glass = b.glass[..., None]
        img = img * glass + b.background * (1.0 - glass)
        metal = b.metal_mask[..., None]
        img = img * (1.0 - metal) + b.metal_img * metal
        return np.asarray(np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8))


def simulate_footage(
    seed: int,
    steps: int,
    step_seconds: float,
    size: int = 64,
    warmup_seconds: float = 40.0,
) -> Iterator[NDArray[np.uint8]]:
    """Yield ``steps`` frames, one every ``step_seconds`` of footage time, after a warm-up."""
    sim = LavaSimulator(seed=seed, size=size)
    # A seed-dependent extra warm-up so that clips start at different phases of the lamp's cycle.
    sim.step(warmup_seconds + float(np.random.default_rng(seed + 7919).uniform(0.0, 60.0)))
    for _ in range(steps):
        yield sim.render()
        sim.step(step_seconds)


def footage_array(seed: int, steps: int, step_seconds: float, size: int = 64) -> NDArray[np.uint8]:
    """``simulate_footage`` collected into one uint8 array of shape (steps, size, size, 3)."""
    out = np.empty((steps, size, size, 3), dtype=np.uint8)
    for i, frame in enumerate(simulate_footage(seed, steps, step_seconds, size)):
        out[i] = frame
    return out
