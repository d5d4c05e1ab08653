"""Procedural rainbow scenes: the default training images of the rainbow generator (numpy only).

Each image is rendered through a pinhole camera standing on the ground with the sun behind
it, so every pixel has a direction, an elevation above the horizon and an angle from the
*antisolar point* (the point opposite the sun, below the horizon by the sun's elevation).
Rainbows depend only on that angle:

* The primary bow is the caustic of light refracted into a raindrop, reflected once and
  refracted out. For water's refractive index n(λ) (Cauchy fit, 1.343 at 400 nm to 1.331 at
  700 nm) the caustic angle is ``4 r - 2 i`` with ``cos² i = (n² - 1) / 3``: 40.6° for
  violet, 42.3° for red, so red is *outside*.
* The secondary bow (two internal reflections) has ``180° + 2 i - 6 r`` with
  ``cos² i = (n² - 1) / 8``: 50.4° for red, 53.4° for violet, so its colours are reversed;
  it is fainter and broader.
* Near a caustic the brightness follows the Airy function: a main peak just on the bright
  side, supernumerary fringes further in (washed out when drop sizes vary), a tail that
  lights the sky *inside* the primary (and outside the secondary), and no bow light between
  the two: Alexander's dark band. The per-wavelength profiles are summed through the CIE
  colour-matching functions (Wyman, Sloan & Shirley 2013 fit) to linear sRGB, then smoothed
  by the sun's disc (0.5°) and the spread of drop sizes.

Rain only fills part of the view: a rain curtain with soft edges in azimuth, a cloud base in
elevation and patchy density gives partial arcs and bows that fade. Skies (clear, stormy,
sunset, overcast), perspective clouds and landscapes (hills, sea horizon, mountains, trees,
town silhouettes) come from the same seeded random generator: ``render_rainbow(seed)`` is
deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
SKIES = ("clear", "stormy", "sunset", "overcast")
LANDSCAPES = ("hills", "sea", "mountains", "trees", "town")

WAVELENGTHS_NM = np.arange(380.0, 721.0, 10.0)
TABLE_STEP_DEG = 0.05
TABLE_MAX_DEG = 120.0
RAIN_SHADE = 0.4  # how much darker the sky is through the rain that holds the bow
SUN_DISC_SIGMA_DEG = 0.5 / 2.355  # the sun's 0.5° disc as a Gaussian (FWHM 0.5°)
_LUMA = np.array([0.2126, 0.7152, 0.0722])
_XYZ_TO_SRGB = np.array(
    [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]
)


# --- optics ---------------------------------------------------------------------------------


def water_index(wavelength_nm: FloatArray | float) -> FloatArray:
    """Refractive index of water (Cauchy fit: 1.3435 at 400 nm, 1.3310 at 700 nm)."""
    lam = np.asarray(wavelength_nm, dtype=np.float64)
    return np.asarray(1.32494 + 2969.0 / lam**2)


def rainbow_angle_deg(wavelength_nm: FloatArray | float, reflections: int) -> FloatArray:
    """Angle from the antisolar point of the bow after ``reflections`` internal reflections."""
    if reflections not in (1, 2):
        raise ValueError(f"reflections must be 1 or 2, got {reflections}")
    n = water_index(wavelength_nm)
    k = reflections
    cos_i = np.sqrt((n**2 - 1.0) / (k * (k + 2)))
    i = np.arccos(cos_i)
    r = np.arcsin(np.sin(i) / n)
    deviation = k * math.pi + 2.0 * i - 2.0 * (k + 1) * r
    # primary: 180° - deviation; secondary: deviation - 180° (the ray turns past backwards)
    angle = math.pi - deviation if k == 1 else deviation - math.pi
    return np.asarray(np.degrees(angle))


def _airy_series(x: FloatArray, terms: int = 80) -> FloatArray:
    """Ai(x) by its Maclaurin series (accurate in float64 for -9 <= x <= 3)."""
    c1, c2 = 0.355028053887817, 0.258819403792807
    f = np.ones_like(x)
    g = x.copy()
    tf, tg = np.ones_like(x), x.copy()
    x3 = x**3
    for k in range(1, terms):
        tf = tf * x3 / ((3 * k - 1) * (3 * k))
        tg = tg * x3 / ((3 * k) * (3 * k + 1))
        f += tf
        g += tg
    return np.asarray(c1 * f - c2 * g)


@lru_cache(maxsize=1)
def _airy_squared_table() -> tuple[FloatArray, FloatArray]:
    """Ai(-z)² on a grid of z (bright side positive), asymptotic form for large z."""
    z = np.arange(-4.0, 2500.0, 0.01)
    out = np.empty_like(z)
    near = z <= 8.0
    out[near] = _airy_series(-z[near]) ** 2
    far = z[~near]
    out[~near] = (np.sin(2.0 / 3.0 * far**1.5 + math.pi / 4) ** 2) / (math.pi * np.sqrt(far))
    return z, out


def _cmf(lam: FloatArray) -> FloatArray:
    """CIE 1931 colour-matching functions [len(lam), 3] (Wyman et al. 2013 analytic fit)."""

    def g(mu: float, s1: float, s2: float) -> FloatArray:
        s = np.where(lam < mu, s1, s2)
        return np.asarray(np.exp(-0.5 * ((lam - mu) / s) ** 2))

    x = 1.056 * g(599.8, 37.9, 31.0) + 0.362 * g(442.0, 16.0, 26.7) - 0.065 * g(501.1, 20.4, 26.2)
    y = 0.821 * g(568.8, 46.9, 40.5) + 0.286 * g(530.9, 16.3, 31.1)
    zz = 1.217 * g(437.0, 11.8, 36.0) + 0.681 * g(459.0, 26.0, 13.8)
    return np.stack([x, y, zz], axis=1)


def _camera_response(lam: FloatArray) -> FloatArray:
    """XYZ response [len(lam), 3] of a camera: the CIE observer plus the extra red response
    that makes cameras render deep violet as purple (as rainbow photos show it)."""
    cmf = _cmf(lam)
    cmf[:, 0] += 0.2 * np.exp(-0.5 * ((lam - 400.0) / 12.0) ** 2)
    return cmf


def spectral_rgb(wavelength_nm: FloatArray) -> FloatArray:
    """Display RGB [len, 3] in [0, 1] of pure spectral colours (Bruton's piecewise ramp).

    Violet (380-440 nm) is shown purple, then blue, cyan, green, yellow, orange, red, as a
    camera renders a rainbow; every hue sector of the colour wheel is reached.
    """
    lam = np.asarray(wavelength_nm, dtype=np.float64)
    r = np.interp(lam, [380, 440, 490, 510, 580, 645, 780], [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    g = np.interp(lam, [380, 440, 490, 510, 580, 645, 780], [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    b = np.interp(lam, [380, 440, 490, 510, 580, 645, 780], [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    r = np.where(lam < 440, 0.6 * (440 - lam) / 60.0, r)
    return np.stack([r, g, b], axis=-1) ** 0.8


def _gaussian_smooth(values: FloatArray, sigma_samples: float) -> FloatArray:
    """Smooth ``values`` [T, C] along axis 0 with a Gaussian (reflecting edges)."""
    if sigma_samples < 0.3:
        return values
    radius = math.ceil(3.5 * sigma_samples)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_samples) ** 2)
    k /= k.sum()
    padded = np.pad(values, ((radius, radius), (0, 0)), mode="reflect")
    return np.stack(
        [np.convolve(padded[:, c], k, mode="valid") for c in range(values.shape[1])], axis=1
    )


@dataclass(frozen=True)
class BowOptics:
    """Drop-size dependent shape of the bows (all angles in degrees)."""

    airy_scale: float = 0.4  # angular size of one Airy unit: bigger for smaller drops
    smear: float = 0.3  # extra Gaussian blur from the spread of drop sizes (kills fringes)
    secondary_strength: float = 0.4  # secondary brightness relative to the primary
    vividness: float = 2.5  # chroma gain of the bands (photos look more saturated)
    glow: float = 0.5  # scale of the Airy tail far from the bows (sky inside the primary)


def bow_table(optics: BowOptics) -> tuple[FloatArray, FloatArray]:
    """(angles [T] in degrees from the antisolar point, linear sRGB bow light [T, 3]).

    The primary's peak luminance is 1. Negative (out of gamut) components are clipped.
    """
    return _bow_table_cached(
        round(optics.airy_scale, 3),
        round(optics.smear, 3),
        round(optics.secondary_strength, 3),
        round(optics.vividness, 3),
        round(optics.glow, 3),
    )


@lru_cache(maxsize=256)
def _bow_table_cached(
    airy_scale: float, smear: float, secondary_strength: float, vividness: float, glow: float
) -> tuple[FloatArray, FloatArray]:
    angles = np.arange(0.0, TABLE_MAX_DEG, TABLE_STEP_DEG)
    z_grid, ai2 = _airy_squared_table()
    # Photos show the tail (the glow inside the primary) fainter than single-size drops give.
    ai2 = ai2 * (1.0 - (1.0 - glow) * _smoothstep(1.5, 6.0, z_grid))
    lam = WAVELENGTHS_NM
    cmf = _camera_response(lam)
    theta1 = rainbow_angle_deg(lam, 1)
    theta2 = rainbow_angle_deg(lam, 2)
    s2 = airy_scale * 1.6
    z1 = (theta1[None, :] - angles[:, None]) / airy_scale  # bright side: inside
    z2 = (angles[:, None] - theta2[None, :]) / s2  # bright side: outside
    i1 = np.interp(z1, z_grid, ai2, left=0.0, right=float(ai2[-1]))
    # The secondary's Airy peak is scaled to ``secondary_strength`` of the primary's.
    i2 = np.interp(z2, z_grid, ai2, left=0.0, right=float(ai2[-1])) * secondary_strength
    rgb = ((i1 + i2) @ cmf) @ _XYZ_TO_SRGB.T  # linear sRGB, may be out of gamut (< 0)
    sigma = math.hypot(SUN_DISC_SIGMA_DEG, smear) / TABLE_STEP_DEG
    rgb = _gaussian_smooth(rgb, sigma)
    lum = (rgb @ _LUMA)[:, None]
    chroma = rgb - lum
    # Photos of rainbows look more saturated than the eye sees them; boost the bands' chroma
    # but keep the tails (inside the primary, outside the secondary) close to white.
    bands = _smoothstep(39.4, 40.4, angles) * (1 - _smoothstep(43.0, 44.5, angles))
    bands += _smoothstep(49.5, 50.5, angles) * (1 - _smoothstep(54.0, 56.0, angles))
    chroma *= (0.5 + (vividness - 0.5) * bands)[:, None]
    # Gamut mapping: shrink the chroma (keeping hue and luminance) until no channel is < 0.
    negative = np.where(chroma < 0, -chroma, 0.0).max(axis=1, keepdims=True)
    shrink = np.minimum(1.0, lum / np.maximum(negative, 1e-12))
    rgb = np.clip(lum + shrink * chroma, 0.0, None)
    peak_window = (angles > 38.0) & (angles < 44.0)
    rgb /= float((rgb[peak_window] @ _LUMA).max())
    return angles, rgb


def channel_peak_deg(optics: BowOptics, channel: int, low: float, high: float) -> float:
    """Angle of the brightest ``channel`` (0 red, 1 green, 2 blue) of the bow in [low, high]°."""
    angles, rgb = bow_table(optics)
    window = (angles >= low) & (angles <= high)
    return float(angles[window][np.argmax(rgb[window, channel])])


# --- camera ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Camera:
    """A pinhole camera on the ground; the sun is behind it (azimuth 180°)."""

    fov_deg: float = 80.0  # horizontal (the image is square)
    pitch_deg: float = 15.0  # view centre above the horizon
    yaw_deg: float = 0.0  # view centre's azimuth, 0 = towards the antisolar point
    sun_elevation_deg: float = 20.0


def view_directions(camera: Camera, size: int) -> FloatArray:
    """Unit world direction [size, size, 3] (x right, y up, z towards the antisolar azimuth)."""
    t = math.tan(math.radians(camera.fov_deg) / 2.0)
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    u, v = np.meshgrid(c, c)
    x, y, z = u * t, -v * t, np.ones_like(u)
    p, a = math.radians(camera.pitch_deg), math.radians(camera.yaw_deg)
    y, z = y * math.cos(p) + z * math.sin(p), -y * math.sin(p) + z * math.cos(p)
    x, z = x * math.cos(a) + z * math.sin(a), -x * math.sin(a) + z * math.cos(a)
    d = np.stack([x, y, z], axis=-1)
    return np.asarray(d / np.linalg.norm(d, axis=-1, keepdims=True))


def angle_map(camera: Camera, size: int) -> FloatArray:
    """Angle in degrees of each pixel from the antisolar point [size, size]."""
    d = view_directions(camera, size)
    e = math.radians(camera.sun_elevation_deg)
    antisolar = np.array([0.0, -math.sin(e), math.cos(e)])
    return np.asarray(np.degrees(np.arccos(np.clip(d @ antisolar, -1.0, 1.0))))


def elevation_azimuth(camera: Camera, size: int) -> tuple[FloatArray, FloatArray]:
    """Elevation above the horizon and azimuth (0 = antisolar side) in degrees, [size, size]."""
    d = view_directions(camera, size)
    elevation = np.degrees(np.arcsin(np.clip(d[..., 1], -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(d[..., 0], d[..., 2]))
    return np.asarray(elevation), np.asarray(azimuth)


# --- noise ----------------------------------------------------------------------------------


def value_noise(
    rng: np.random.Generator, x: FloatArray, y: FloatArray, octaves: int, lattice: int = 64
) -> FloatArray:
    """Fractal value noise in [0, 1) at coordinates (x, y) (one lattice cell = 1 unit)."""
    total = np.zeros_like(x)
    amp, norm, freq = 1.0, 0.0, 1.0
    for _ in range(octaves):
        grid = rng.random((lattice, lattice))
        ox, oy = rng.random(2) * lattice
        gx, gy = x * freq + ox, y * freq + oy
        x0, y0 = np.floor(gx), np.floor(gy)
        fx, fy = gx - x0, gy - y0
        fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
        i0 = x0.astype(np.int64) % lattice
        j0 = y0.astype(np.int64) % lattice
        i1, j1 = (i0 + 1) % lattice, (j0 + 1) % lattice
        top = grid[j0, i0] * (1 - fx) + grid[j0, i1] * fx
        bottom = grid[j1, i0] * (1 - fx) + grid[j1, i1] * fx
        total += amp * (top * (1 - fy) + bottom * fy)
        norm += amp
        amp *= 0.5
        freq *= 2.0
    return np.asarray(total / norm)


def resize_matrix(n_in: int, n_out: int) -> FloatArray:
    """[n_out, n_in] linear interpolation with pixel centres at (i + 0.5) (edges clamped)."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0, n_in - 1.0)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1.0 - (src - lo)
    m[np.arange(n_out), hi] += src - lo
    return m


@dataclass(frozen=True)
class CoarseView:
    """The view at half the image's size, where the slowly varying fields (the sky's gradient,
    the storm backdrop, the cloud noise and shading, land texture, sea glints, rain patches)
    are evaluated before they are resized to the image: a quarter of the pixels costs a
    quarter of the time. Edges (clouds' outlines, silhouettes, bows) are drawn at full size."""

    d: FloatArray
    elevation: FloatArray
    azimuth: FloatArray
    size: int

    @staticmethod
    def of(camera: Camera, size: int) -> CoarseView:
        d = view_directions(camera, max(1, size // 2))
        elevation = np.degrees(np.arcsin(np.clip(d[..., 1], -1.0, 1.0)))
        return CoarseView(d, elevation, np.degrees(np.arctan2(d[..., 0], d[..., 2])), size)

    def up(self, field: FloatArray) -> FloatArray:
        m = resize_matrix(field.shape[0], self.size)
        return np.asarray(m @ field @ m.T)


def _smoothstep(edge0: float, edge1: float, x: FloatArray) -> FloatArray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t))


# --- scenes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RainbowScene:
    """Every random choice of one image; ``sample_scene(seed)`` draws one."""

    seed: int
    camera: Camera
    optics: BowOptics
    sky: str
    landscape: str
    bow_brightness: float  # linear radiance of the primary's peak
    cloud_cover: float  # 0 clear .. 1 full
    rain_azimuth: tuple[float, float]  # rain curtain from .. to (degrees)
    rain_edge_deg: float  # softness of its sides
    rain_top_deg: float  # elevation where the rain (and the bow) fades out
    rain_patchiness: float  # 0 uniform .. 1 patchy density along the curtain
    land_bow: float  # share of bow light in front of distant land


@dataclass(frozen=True)
class SceneDraws:
    """The scene sampler's own random variables, from which ``sample_scene`` builds a scene.

    A scene generator learns their distribution (``scene.prior``) and rebuilds the camera and
    the rain curtain from them the same way, so that the camera aims at the bow as a
    photographer would. ``rain_centre`` and ``rain_width`` (in fields of view) are drawn for
    every scene; a scene with rain across the whole view (``rain_open`` 1) does not use them.
    """

    sky: int  # index into SKIES
    landscape: int  # index into LANDSCAPES
    sun: float  # elevation, degrees
    fov: float
    aim: float  # 0.05..1: how far up the bow the camera aims (aim elevation = top * aim ** 0.7)
    side: float  # -1 or 1: left or right leg of the bow
    yaw_jitter: float  # in fields of view
    pitch_jitter: float  # in fields of view
    optics: BowOptics
    rain_open: float  # 1: rain across the whole view, 0: a curtain
    rain_centre: float  # curtain centre from the aim azimuth, in fields of view
    rain_width: float  # curtain width in fields of view
    bow_brightness: float
    cloud_cover: float
    rain_edge_deg: float
    rain_top_deg: float
    rain_patchiness: float
    land_bow: float


def aim_camera(
    sun: float, fov: float, aim: float, side: float, yaw_jitter: float, pitch_jitter: float
) -> tuple[Camera, float, float]:
    """(camera, aim elevation, aim azimuth): the camera aimed at a point of the primary bow."""
    top = 42.0 - sun
    aim_elevation = top * aim**0.7
    el, e = math.radians(aim_elevation), math.radians(sun)
    cos_az = (math.cos(math.radians(42.0)) + math.sin(el) * math.sin(e)) / (
        math.cos(el) * math.cos(e)
    )
    aim_azimuth = math.degrees(math.acos(min(1.0, max(-1.0, cos_az)))) * side
    yaw = aim_azimuth + yaw_jitter * fov
    pitch = aim_elevation + pitch_jitter * fov
    pitch = min(max(pitch, 0.08 * fov), 0.5 * fov + 2.0)
    return Camera(fov, pitch, yaw, sun), aim_elevation, aim_azimuth


def draw_scene(seed: int) -> tuple[RainbowScene, SceneDraws]:
    """Draw a scene deterministically from ``seed``, with the draws it was built from."""
    rng = np.random.default_rng([seed, 20260])
    sky_index = int(rng.choice(len(SKIES), p=[0.3, 0.35, 0.15, 0.2]))
    land_index = int(rng.choice(len(LANDSCAPES), p=[0.3, 0.15, 0.25, 0.15, 0.15]))
    sky = SKIES[sky_index]
    sun = rng.uniform(1.0, 6.0) if sky == "sunset" else rng.uniform(4.0, 30.0)
    fov = rng.uniform(45.0, 85.0)
    # Aim at a point of the primary bow (from its foot to its top, either side), as a
    # photographer would, then frame it with some slack; the horizon is usually in view.
    aim = rng.uniform(0.05, 1.0)
    side = float(rng.choice([-1, 1]))
    yaw_jitter = rng.normal(0.0, 0.12)
    pitch_jitter = rng.uniform(-0.3, 0.1)
    camera, aim_elevation, aim_azimuth = aim_camera(sun, fov, aim, side, yaw_jitter, pitch_jitter)
    fringes = rng.random() < 0.25  # small, equal drops: visible supernumerary fringes
    optics = BowOptics(
        airy_scale=rng.uniform(0.3, 0.45) if fringes else rng.uniform(0.12, 0.3),
        smear=rng.uniform(0.0, 0.05) if fringes else rng.uniform(0.05, 0.3),
        secondary_strength=rng.uniform(0.0, 0.05) if rng.random() < 0.2 else rng.uniform(0.15, 0.4),
        vividness=rng.uniform(2.0, 3.5),
        glow=rng.uniform(0.25, 0.6),
    )
    rain_open = rng.random() < 0.6  # rain across the whole view
    if rain_open:  # (the curtain's shape is drawn elsewhere, so the sequence stays as it was)
        spare = np.random.default_rng([seed, 20261])
        rain_centre, rain_width = spare.uniform(-0.3, 0.3), spare.uniform(0.4, 1.0)
        rain = (-180.0, 180.0)
    else:  # a partial arc: the curtain ends somewhere in the view
        rain_centre, rain_width = rng.uniform(-0.3, 0.3), rng.uniform(0.4, 1.0)
        centre = aim_azimuth + rain_centre * fov
        rain = (centre - rain_width * fov / 2, centre + rain_width * fov / 2)
    brightness = {"clear": 0.8, "stormy": 0.8, "sunset": 0.7, "overcast": 0.7}[sky]
    bow_brightness = brightness * rng.uniform(0.7, 1.3)
    cloud_cover = {"clear": 0.25, "stormy": 0.7, "sunset": 0.45, "overcast": 0.9}[
        sky
    ] * rng.uniform(0.6, 1.2)
    rain_edge = rng.uniform(6.0, 20.0)
    rain_top = rng.uniform(aim_elevation + 6.0, 60.0) if rng.random() < 0.3 else 90.0
    patchiness = rng.uniform(0.0, 0.8)
    land_bow = rng.uniform(0.1, 0.6)
    scene = RainbowScene(
        seed=seed,
        camera=camera,
        optics=optics,
        sky=sky,
        landscape=LANDSCAPES[land_index],
        bow_brightness=bow_brightness,
        cloud_cover=cloud_cover,
        rain_azimuth=rain,
        rain_edge_deg=rain_edge,
        rain_top_deg=rain_top,
        rain_patchiness=patchiness,
        land_bow=land_bow,
    )
    draws = SceneDraws(
        sky=sky_index,
        landscape=land_index,
        sun=sun,
        fov=fov,
        aim=aim,
        side=side,
        yaw_jitter=yaw_jitter,
        pitch_jitter=pitch_jitter,
        optics=optics,
        rain_open=float(rain_open),
        rain_centre=rain_centre,
        rain_width=rain_width,
        bow_brightness=bow_brightness,
        cloud_cover=cloud_cover,
        rain_edge_deg=rain_edge,
        rain_top_deg=rain_top,
        rain_patchiness=patchiness,
        land_bow=land_bow,
    )
    return scene, draws


def sample_scene(seed: int) -> RainbowScene:
    """Draw a scene deterministically from ``seed``."""
    return draw_scene(seed)[0]


PALETTE_KEYS = ("zenith", "horizon", "storm", "cloud_lit", "cloud_dark")
SKY_PALETTES = {  # linear RGB of PALETTE_KEYS per sky type, and how much each is jittered
    "clear": (
        ((0.04, 0.11, 0.38), (0.25, 0.37, 0.56), (0.10, 0.13, 0.2),
         (0.8, 0.78, 0.72), (0.2, 0.22, 0.28)),
        0.15,
    ),
    "stormy": (
        ((0.04, 0.05, 0.08), (0.13, 0.15, 0.2), (0.035, 0.04, 0.06),
         (0.35, 0.34, 0.33), (0.03, 0.035, 0.045)),
        0.15,
    ),
    "sunset": (
        ((0.06, 0.05, 0.18), (0.7, 0.3, 0.15), (0.18, 0.07, 0.1),
         (0.9, 0.4, 0.25), (0.12, 0.06, 0.1)),
        0.15,
    ),
    "overcast": (
        ((0.12, 0.13, 0.15), (0.26, 0.27, 0.29), (0.07, 0.075, 0.09),
         (0.32, 0.32, 0.32), (0.08, 0.08, 0.09)),
        0.1,
    ),
}  # fmt: skip


def _sky_colours(scene: RainbowScene, rng: np.random.Generator) -> dict[str, FloatArray]:
    """Linear RGB palette of a sky type, jittered."""
    colours, amount = SKY_PALETTES[scene.sky]
    return {
        key: np.asarray(c) * rng.uniform(1 - amount, 1 + amount, 3)
        for key, c in zip(PALETTE_KEYS, colours, strict=True)
    }


def _sky(
    scene: RainbowScene,
    d: FloatArray,
    elevation: FloatArray,
    azimuth: FloatArray,
    rng: np.random.Generator,
    coarse: CoarseView,
) -> tuple[FloatArray, FloatArray]:
    """(linear sky radiance [H, W, 3], haze colour at the horizon [3])."""
    pal = _sky_colours(scene, rng)
    # The sky's gradient and the storm backdrop vary slowly: drawn at half size.
    el = np.clip(coarse.elevation, 0.0, 90.0)
    height = coarse.up(1.0 - np.exp(-el / 12.0))
    base = pal["horizon"] + (pal["zenith"] - pal["horizon"]) * height[..., None]
    # A darker storm backdrop on the antisolar side, where the rain is.
    storm_strength = {"clear": 0.55, "stormy": 0.8, "sunset": 0.5, "overcast": 0.4}[scene.sky]
    storm_shape = np.exp(-((coarse.azimuth / rng.uniform(40.0, 120.0)) ** 2))
    storm_shape *= _smoothstep(-2.0, 12.0, coarse.elevation)
    storm = coarse.up(storm_strength * storm_shape * rng.uniform(0.6, 1.0))
    sky = base * (1 - storm[..., None]) + pal["storm"] * storm[..., None]
    # Perspective clouds: noise on a cloud plane above the camera (evaluated at half size, its
    # edges drawn at full size by the threshold below).
    lift = np.clip(coarse.d[..., 1], 0.0, None) + 0.06
    px, pz = coarse.d[..., 0] / lift, coarse.d[..., 2] / lift
    scale = rng.uniform(0.6, 1.5)
    n = coarse.up(value_noise(rng, px * scale, pz * scale * 1.8, octaves=5))
    cover = scene.cloud_cover
    density = _smoothstep(1.0 - cover - 0.05, 1.0 - cover + 0.3, n)
    density *= _smoothstep(-1.0, 4.0, elevation)
    shade = coarse.up(value_noise(rng, px * scale * 2.0, pz * scale * 3.0, octaves=3))
    cloud = pal["cloud_dark"] + (pal["cloud_lit"] - pal["cloud_dark"]) * shade[..., None] ** 1.5
    # Clouds in front of the storm stay dark-ish (they are its underside).
    cloud *= (1.0 - 0.5 * storm)[..., None]
    sky = sky * (1 - density[..., None]) + cloud * density[..., None]
    return np.asarray(sky), np.asarray(pal["horizon"] * 0.8 + pal["storm"] * 0.2)


def _rain_mask(
    scene: RainbowScene,
    elevation: FloatArray,
    azimuth: FloatArray,
    rng: np.random.Generator,
    coarse: CoarseView,
) -> FloatArray:
    """How much rain (bow light) lies along each pixel's line of sight, 0..1."""
    lo, hi = scene.rain_azimuth
    edge = scene.rain_edge_deg
    mask = _smoothstep(lo - edge, lo + edge, azimuth) * (
        1 - _smoothstep(hi - edge, hi + edge, azimuth)
    )
    if lo <= -180.0:
        mask = np.ones_like(azimuth)
    top = scene.rain_top_deg
    mask = mask * (1 - _smoothstep(top - 8.0, top + 8.0, elevation))
    patches = coarse.up(value_noise(rng, coarse.azimuth / 25.0, coarse.elevation / 40.0, octaves=2))
    mask = mask * (1.0 - scene.rain_patchiness * _smoothstep(0.3, 0.75, patches))
    return np.asarray(mask)


def _ridge(
    rng: np.random.Generator, azimuth: FloatArray, base: float, amp: float, rough: float
) -> FloatArray:
    """A 1-D height profile (degrees of elevation) along azimuth: fractal, with ``rough``ness."""
    lattice = 256
    total = np.zeros_like(azimuth)
    a, freq, norm = 1.0, 1.0 / 30.0, 0.0
    for _ in range(6):
        vals = rng.random(lattice)
        g = azimuth * freq + rng.random() * lattice
        i0 = np.floor(g).astype(np.int64)
        f = g - i0
        f = f * f * (3 - 2 * f)
        total += a * (vals[i0 % lattice] * (1 - f) + vals[(i0 + 1) % lattice] * f)
        norm += a
        a *= rough
        freq *= 2.0
    return np.asarray(base + amp * (total / norm - 0.3))


def _coverage(elevation: FloatArray, height: FloatArray, pixel_deg: float) -> FloatArray:
    """Anti-aliased 0..1 coverage of a silhouette whose top is at ``height`` degrees."""
    return np.asarray(np.clip((height - elevation) / pixel_deg + 0.5, 0.0, 1.0))


def _landscape(
    scene: RainbowScene,
    image: FloatArray,
    bow: FloatArray,
    elevation: FloatArray,
    azimuth: FloatArray,
    haze: FloatArray,
    pixel_deg: float,
    rng: np.random.Generator,
    coarse: CoarseView,
) -> FloatArray:
    """Composite ground, landscape layers and the bow's feet onto ``image``."""
    light = {"clear": 1.0, "stormy": 0.9, "sunset": 0.7, "overcast": 0.45}[scene.sky]
    warm = np.array([1.0, 0.75, 0.55]) if scene.sky == "sunset" else np.ones(3)
    col = azimuth
    tex = coarse.up(value_noise(rng, coarse.azimuth / 3.0, coarse.elevation / 1.5, octaves=3))
    # Rain (and so bow light) only hangs in front of land near the horizon, not the near ground.
    near_horizon = _smoothstep(-4.0, 0.5, elevation)

    def paint(
        img: FloatArray, cover: FloatArray, colour: FloatArray, distance: float
    ) -> FloatArray:
        shaded = colour[None, None, :] * (0.75 + 0.5 * tex[..., None]) * light * warm
        shaded = shaded * (1 - distance) + haze * distance
        shaded = shaded + bow * (scene.land_bow * distance) * near_horizon[..., None]
        return np.asarray(img * (1 - cover[..., None]) + shaded * cover[..., None])

    ground_colour = np.array([0.1, 0.16, 0.05]) * rng.uniform(0.7, 1.3, 3)
    if scene.landscape == "sea":
        # Sea to a flat horizon, slightly below 0° (the horizon dips a little).
        sea = np.array([0.03, 0.07, 0.1]) * rng.uniform(0.7, 1.4, 3)
        depth = np.clip(-elevation / 15.0, 0.0, 1.0)[..., None]
        glint = coarse.up(
            value_noise(rng, coarse.azimuth / 1.5, coarse.elevation * 4.0, octaves=2)
        )[..., None]
        water = haze * 0.4 * (1 - depth) + sea * depth + 0.05 * glint * light
        water = water + bow * scene.land_bow * 0.5 * near_horizon[..., None]
        cover = _coverage(elevation, np.full_like(elevation, -0.3), pixel_deg)
        image = image * (1 - cover[..., None]) + water * cover[..., None]
        if rng.random() < 0.5:  # a far headland
            h = _ridge(rng, col, 0.5, rng.uniform(1.0, 3.0), 0.5)
            reach = (azimuth - rng.uniform(-60, 60)) / rng.uniform(8, 35)
            h = h * np.clip(1.0 - reach**2, 0.0, 1.0) ** 0.5 - 0.5  # tapers into the sea
            # Only above the sea's horizon: the near sea stays in front of it.
            above_sea = 1.0 - _coverage(elevation, np.full_like(elevation, -0.3), pixel_deg)
            cover = _coverage(elevation, h, pixel_deg) * above_sea
            image = paint(image, cover, ground_colour, 0.6)
        return image
    # Ground everywhere below the horizon first.
    image = paint(
        image, _coverage(elevation, np.zeros_like(elevation), pixel_deg), ground_colour, 0.3
    )
    if scene.landscape == "mountains":
        layers = [(0.75, 1.0, 9.0, 0.55), (0.5, 0.0, 6.0, 0.6)]
        for distance, base, amp, rough in layers:
            h = _ridge(rng, col, base + rng.uniform(0, 3), amp * rng.uniform(0.7, 1.4), rough)
            rock = np.array([0.12, 0.13, 0.16]) * rng.uniform(0.7, 1.3, 3)
            image = paint(image, _coverage(elevation, h, pixel_deg), rock, distance)
        front = _ridge(rng, col, 0.5, 2.0, 0.4)
        image = paint(image, _coverage(elevation, front, pixel_deg), ground_colour, 0.15)
    elif scene.landscape == "hills":
        for distance in (0.6, 0.35, 0.1):
            h = _ridge(rng, col, rng.uniform(0.5, 2.5), rng.uniform(2.0, 6.0), 0.35)
            green = np.array([0.08, 0.2, 0.04]) * rng.uniform(0.6, 1.5, 3)
            if rng.random() < 0.3:  # a golden field
                green = np.array([0.35, 0.28, 0.08]) * rng.uniform(0.7, 1.2, 3)
            image = paint(image, _coverage(elevation, h, pixel_deg), green, distance)
    elif scene.landscape == "trees":
        far = _ridge(rng, col, 1.0, 2.0, 0.4)
        image = paint(image, _coverage(elevation, far, pixel_deg), ground_colour, 0.5)
        crowns = _ridge(rng, col * 4.0, rng.uniform(2.0, 5.0), rng.uniform(2.0, 5.0), 0.7)
        dark = np.array([0.02, 0.05, 0.02]) * rng.uniform(0.7, 1.5, 3)
        image = paint(image, _coverage(elevation, crowns, pixel_deg), dark, 0.05)
    else:  # town
        far = _ridge(rng, col, 0.5, 2.0, 0.4)
        image = paint(image, _coverage(elevation, far, pixel_deg), ground_colour, 0.5)
        h = np.zeros_like(azimuth)
        x = float(azimuth.min()) - 2.0
        end = float(azimuth.max()) + 2.0
        while x < end:
            width = rng.uniform(1.0, 5.0)
            height = rng.uniform(1.0, 6.0)
            in_house = (azimuth >= x) & (azimuth < x + width)
            roof = rng.random()
            if roof < 0.35:  # pitched roof
                centre = x + width / 2
                h = np.where(in_house, height + (width / 2 - np.abs(azimuth - centre)) * 0.6, h)
            elif roof < 0.42:  # a spire
                centre = x + width / 2
                spire = height + 3.0 + 6.0 * np.clip(1 - np.abs(azimuth - centre) / 0.8, 0, 1)
                h = np.where(in_house, np.where(np.abs(azimuth - centre) < 0.8, spire, height), h)
            else:
                h = np.where(in_house, height, h)
            x += width + (rng.uniform(0.0, 3.0) if rng.random() < 0.4 else 0.0)
        stone = np.array([0.06, 0.06, 0.07]) * rng.uniform(0.6, 1.6, 3)
        image = paint(image, _coverage(elevation, h, pixel_deg), stone, 0.1)
    return image


def render_scene(scene: RainbowScene, size: int = 128) -> NDArray[np.uint8]:
    """Render ``scene`` as a uint8 RGB image [size, size, 3]."""
    rng = np.random.default_rng([scene.seed, 777])
    cam = scene.camera
    d = view_directions(cam, size)
    elevation = np.degrees(np.arcsin(np.clip(d[..., 1], -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(d[..., 0], d[..., 2]))
    e = math.radians(cam.sun_elevation_deg)
    theta = np.degrees(np.arccos(np.clip(d @ np.array([0.0, -math.sin(e), math.cos(e)]), -1, 1)))
    coarse = CoarseView.of(cam, size)
    sky, haze = _sky(scene, d, elevation, azimuth, rng, coarse)
    angles, table = bow_table(scene.optics)
    bow = np.stack([np.interp(theta, angles, table[:, c]) for c in range(3)], axis=-1)
    bow *= scene.bow_brightness
    rain = _rain_mask(scene, elevation, azimuth, rng, coarse)
    # The bow lies in the rain in front of the sky; near the horizon the rain is far and hazy.
    # The rain shaft is in its cloud's shadow: the sky behind the bow is darker (RAIN_SHADE),
    # which is why a bow stands out in all its colours even in front of a bright sky.
    in_rain = (rain * _smoothstep(-1.0, 3.0, elevation))[..., None]
    image = sky * (1.0 - RAIN_SHADE * in_rain) + bow * in_rain
    pixel_deg = cam.fov_deg / size
    image = _landscape(
        scene, image, bow * rain[..., None], elevation, azimuth, haze, pixel_deg, rng, coarse
    )
    # Gentle vignette, then display gamma.
    c = (np.arange(size) + 0.5) / size * 2 - 1
    r2 = c[None, :] ** 2 + c[:, None] ** 2
    image = np.clip(image * (1.0 - 0.12 * r2)[..., None], 0.0, None)
    # Hue-preserving highlight shoulder: bright bow on bright sky keeps its colour, not white.
    peak = image.max(axis=-1, keepdims=True)
    knee = 0.8
    rolled = np.where(peak > knee, knee + (1 - knee) * np.tanh((peak - knee) / (1 - knee)), peak)
    image = image * (rolled / np.maximum(peak, 1e-6))
    out = np.clip(image, 0.0, 1.0) ** (1 / 2.2)
    return np.asarray(np.round(out * 255.0), dtype=np.uint8)


def render_rainbow(seed: int, size: int = 128) -> NDArray[np.uint8]:
    """One rainbow scene image [size, size, 3] uint8, the same for the same seed and size."""
    return render_scene(sample_scene(seed), size)


def render_dataset(seeds: list[int] | range, size: int = 128) -> NDArray[np.uint8]:
    """Images [len(seeds), size, size, 3] uint8 for ``seeds``."""
    out = np.empty((len(seeds), size, size, 3), dtype=np.uint8)
    for i, seed in enumerate(seeds):
        out[i] = render_rainbow(int(seed), size)
    return out
