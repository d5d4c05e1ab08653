"""Image measures of rainbows that need no scene parameters (numpy and OpenCV only).

* ``find_primary_bow``: the ridge of the primary bow and the conic through it. A rainbow's
  bands are the most saturated thin structure of its picture, so the ridge candidates are the
  pixels where the chroma (max - min of RGB), smoothed a little, stands above its wide
  surroundings; a circle is found among them by RANSAC (3 points), the ellipse through the
  circle's inliers is fitted (``cv2.fitEllipse``, Fitzgibbon's direct least squares) and
  refined once on its own inliers. The residual is the RMS distance of the inliers to the
  ellipse divided by the bow's size (the radius of the circle through them); a bow is
  *found* when enough inliers cover a long enough arc with red outside and violet inside.
* ``laplacian_pyramid`` and ``pyramid_swd``: 7x7 patch sliced Wasserstein distances on every
  level of a Laplacian pyramid (256 px down to 16), the patches normalised with the real
  images' statistics of that level.
* ``sharpness``: variance of the Laplacian and the share of spectral energy above a quarter of
  the sampling frequency; ``channel_stats``: per-channel mean and spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from installation.training.common.patch_swd import random_patches, sliced_wasserstein

Images = NDArray[np.uint8]
FloatArray = NDArray[np.float64]

RIDGE_MIN_CHROMA = 10.0  # levels above the surroundings
MIN_INLIERS = 60
MIN_ARC_DEG = 20.0
MIN_RED_OUTSIDE = 6.0  # levels of (red - blue), outside minus inside the ridge
CANDIDATES = 10  # circles tried, most ridge points first
MIN_RADIUS, MAX_RADIUS = 0.3, 2.0  # of the image size
MIN_CONTRAST = 3.0  # ridge points in the band / in the bands beside it (scattered texture: ~1)
BAND_PX = 2.5  # inlier distance at 256 px (scaled with the image)
RANSAC_TRIES = 400


@dataclass(frozen=True)
class BowFit:
    """The conic through one image's primary-bow ridge."""

    found: bool
    residual: float  # RMS distance of the inliers / the radius of the circle through them
    inliers: int
    arc_deg: float
    centre: tuple[float, float]
    axes: tuple[float, float]  # semi-axes in pixels
    angle_deg: float


NOT_FOUND = BowFit(False, float("nan"), 0, 0.0, (0.0, 0.0), (0.0, 0.0), 0.0)


def ridge_points(image: Images) -> FloatArray:
    """(x, y) [K, 2] of the pixels where the chroma stands out from its surroundings and is
    the largest along the column or row within 2 px (a thin ridge, not a whole band)."""
    rgb = image.astype(np.float32)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    size = image.shape[0]
    fine = cv2.GaussianBlur(chroma, (0, 0), 1.0 * size / 256)
    wide = cv2.GaussianBlur(chroma, (0, 0), 10.0 * size / 256)
    lifted = fine - wide
    across_rows = cv2.dilate(lifted, np.ones((5, 1), np.uint8))
    across_columns = cv2.dilate(lifted, np.ones((1, 5), np.uint8))
    top = (lifted >= across_rows - 1e-3) | (lifted >= across_columns - 1e-3)
    ridge = (lifted >= RIDGE_MIN_CHROMA) & top
    ys, xs = np.nonzero(ridge)
    return np.stack([xs, ys], axis=1).astype(np.float64)


def _circle(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Centres [T, 2] and radii [T] of the circles through point triples [T, 3, 2]."""
    a, b, c = points[:, 0], points[:, 1], points[:, 2]
    d = 2 * (
        a[:, 0] * (b[:, 1] - c[:, 1])
        + b[:, 0] * (c[:, 1] - a[:, 1])
        + c[:, 0] * (a[:, 1] - b[:, 1])
    )
    d = np.where(np.abs(d) < 1e-9, np.nan, d)
    sa, sb, sc = (a**2).sum(1), (b**2).sum(1), (c**2).sum(1)
    ux = (sa * (b[:, 1] - c[:, 1]) + sb * (c[:, 1] - a[:, 1]) + sc * (a[:, 1] - b[:, 1])) / d
    uy = (sa * (c[:, 0] - b[:, 0]) + sb * (a[:, 0] - c[:, 0]) + sc * (b[:, 0] - a[:, 0])) / d
    centre = np.stack([ux, uy], axis=1)
    return centre, np.linalg.norm(a - centre, axis=1)


def ellipse_distance(
    points: FloatArray, centre: FloatArray, axes: FloatArray, angle_deg: float
) -> FloatArray:
    """Approximate distance of ``points`` to an ellipse (radial, in the ellipse's scaling)."""
    t = np.radians(angle_deg)
    rel = points - centre
    u = rel[:, 0] * np.cos(t) + rel[:, 1] * np.sin(t)
    v = -rel[:, 0] * np.sin(t) + rel[:, 1] * np.cos(t)
    r = np.sqrt((u / axes[0]) ** 2 + (v / axes[1]) ** 2)
    local = np.sqrt((u**2 + v**2) / np.maximum(r**2, 1e-12))  # ellipse radius along the ray
    return np.asarray(np.abs(r - 1.0) * local)


def _arc_deg(points: FloatArray, centre: FloatArray) -> float:
    """The angle the points span around ``centre`` (largest gap excluded), in degrees."""
    angles = np.sort(np.degrees(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])))
    gaps = np.diff(np.concatenate([angles, angles[:1] + 360.0]))
    return float(360.0 - gaps.max())


def red_outside(image: Images, points: FloatArray, centre: FloatArray) -> float:
    """Mean of (red - blue) just outside the points minus just inside (radially from
    ``centre``), in 8-bit levels: positive for a primary bow (red outside, violet inside)."""
    size = image.shape[0]
    step = 3.0 * size / 256
    rel = points - centre
    normal = rel / np.maximum(np.linalg.norm(rel, axis=1, keepdims=True), 1e-9)
    redness = image[..., 0].astype(np.float64) - image[..., 2].astype(np.float64)

    def sample(at: FloatArray) -> FloatArray:
        x = np.clip(np.round(at[:, 0]).astype(int), 0, size - 1)
        y = np.clip(np.round(at[:, 1]).astype(int), 0, size - 1)
        return np.asarray(redness[y, x])

    return float((sample(points + step * normal) - sample(points - step * normal)).mean())


def find_primary_bow(image: Images, seed: int = 0) -> BowFit:
    """The conic of the primary bow's ridge in ``image`` (``found`` False when there is none).

    Among the circles through the most ridge points (RANSAC), the first whose points have red
    outside and violet inside is refined into an ellipse; a secondary bow (colours reversed),
    a sunset's edge or scattered texture is not a primary bow.
    """
    size = image.shape[0]
    band = BAND_PX * size / 256
    points = ridge_points(image)
    if len(points) < MIN_INLIERS:
        return NOT_FOUND
    rng = np.random.default_rng(seed)
    triples = points[rng.integers(0, len(points), (RANSAC_TRIES, 3))]
    centres, radii = _circle(triples)
    # A 42° bow through a 45-85° lens is 0.5-1.1 image widths across in radius; straight
    # edges (a horizon) are circles of huge radius.
    ok = np.isfinite(radii) & (radii > MIN_RADIUS * size) & (radii < MAX_RADIUS * size)
    if not ok.any():
        return NOT_FOUND
    centres, radii = centres[ok], radii[ok]
    dist = np.abs(np.linalg.norm(points[None] - centres[:, None], axis=2) - radii[:, None])
    counts = (dist < band).sum(axis=1)
    for best in np.argsort(-counts)[:CANDIDATES]:
        if counts[best] < MIN_INLIERS:
            break
        near = dist[best]
        inliers = points[near < band]
        beside = int(((near >= 2 * band) & (near < 4 * band)).sum())
        if counts[best] < MIN_CONTRAST * max(beside, 1):
            continue
        if red_outside(image, inliers, centres[best]) >= MIN_RED_OUTSIDE:
            return _refine(image, points, inliers, band)
    return NOT_FOUND


def _refine(image: Images, points: FloatArray, inliers: FloatArray, band: float) -> BowFit:
    """The ellipse through ``inliers``, then through its own inliers, and its fit."""
    for _ in range(2):
        if len(inliers) < MIN_INLIERS:
            return NOT_FOUND
        (cx, cy), (w, h), angle = cv2.fitEllipse(inliers.astype(np.float32))
        centre, axes = np.array([cx, cy]), np.array([w / 2, h / 2])
        if not np.all(np.isfinite(axes)) or axes.min() <= 1.0:
            return NOT_FOUND
        inliers = points[ellipse_distance(points, centre, axes, angle) < band]
    if len(inliers) < MIN_INLIERS:
        return NOT_FOUND
    arc = _arc_deg(inliers, centre)
    # The residual is over the whole ridge the inliers lie on (its connected points), not only
    # the inliers: a bent band has a conic through part of it, and its other parts count.
    ridge = _connected_ridge(image.shape[0], points, inliers)
    d = np.minimum(ellipse_distance(ridge, centre, axes, angle), 4 * band)
    # The bow's size: the radius of the circle through the ridge (an ellipse fitted to a short
    # arc can stretch its axes a long way; the circle's radius is well determined).
    size = _circle_radius(inliers)
    residual = float(np.sqrt((d**2).mean()) / size)
    return BowFit(
        found=arc >= MIN_ARC_DEG and red_outside(image, inliers, centre) >= MIN_RED_OUTSIDE,
        residual=residual,
        inliers=len(inliers),
        arc_deg=arc,
        centre=(float(centre[0]), float(centre[1])),
        axes=(float(axes[0]), float(axes[1])),
        angle_deg=float(angle),
    )


def _connected_ridge(size: int, points: FloatArray, inliers: FloatArray) -> FloatArray:
    """The ridge points connected (8-neighbours, gaps of a pixel bridged) to ``inliers``."""
    mask = np.zeros((size, size), np.uint8)
    xs, ys = points[:, 0].astype(int), points[:, 1].astype(int)
    mask[ys, xs] = 1
    _, labels = cv2.connectedComponents(cv2.dilate(mask, np.ones((3, 3), np.uint8)), connectivity=8)
    on_bow = np.unique(labels[inliers[:, 1].astype(int), inliers[:, 0].astype(int)])
    keep = np.isin(labels[ys, xs], on_bow[on_bow > 0])
    return points[keep]


def _circle_radius(points: FloatArray) -> float:
    """Radius of the least-squares (Kasa) circle through ``points``."""
    x, y = points[:, 0], points[:, 1]
    a = np.stack([x, y, np.ones_like(x)], axis=1)
    b = x**2 + y**2
    (c0, c1, c2), *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(np.sqrt(max(c2 + (c0 / 2) ** 2 + (c1 / 2) ** 2, 1e-12)))


@dataclass(frozen=True)
class BowStats:
    """Conic fits over a set of images."""

    images: int
    found: int
    median_residual: float

    @property
    def found_share(self) -> float:
        return self.found / max(1, self.images)


def bow_stats(images: Images) -> BowStats:
    fits = [find_primary_bow(im, seed=i) for i, im in enumerate(images)]
    residuals = [f.residual for f in fits if f.found]
    median = float(np.median(residuals)) if residuals else float("nan")
    return BowStats(len(images), len(residuals), median)


# --- texture at every scale -------------------------------------------------------------------


def laplacian_pyramid(images: Images, smallest: int = 16) -> list[NDArray[np.float32]]:
    """Band-pass levels [N, s, s, 3] from the images' size down to ``smallest`` (the last
    level is the low-pass residual at ``smallest``)."""
    current = images.astype(np.float32)
    levels = []
    while current.shape[1] > smallest:
        down = np.stack([cv2.pyrDown(im) for im in current])
        up = np.stack([cv2.pyrUp(im, dstsize=(current.shape[2], current.shape[1])) for im in down])
        levels.append(current - up)
        current = down
    levels.append(current)
    return levels


def pyramid_patches(
    images: Images, per_frame: int, patch: int, seed: int, batch: int = 100
) -> list[FloatArray]:
    """Random ``patch`` x ``patch`` patches of every Laplacian-pyramid level of ``images``,
    flattened: one array [N * per_frame, patch * patch * 3] per level (largest first). The
    images go through in batches, so a level is never held for all of them."""
    out: list[list[FloatArray]] = []
    for start in range(0, len(images), batch):
        levels = laplacian_pyramid(images[start : start + batch])
        if not out:
            out = [[] for _ in levels]
        for k, level in enumerate(levels):
            out[k].append(random_patches(level, per_frame, patch, seed + 1000 * k + start))  # type: ignore[arg-type]
    return [np.concatenate(parts) for parts in out]


def pyramid_swd(
    generated: Images,
    real_a: Images,
    real_b: Images,
    patch: int = 7,
    per_frame: int = 16,
    directions: int = 256,
) -> list[dict[str, float]]:
    """Per pyramid level (largest first): SWD(generated, A), SWD(B, A) and their ratio, with
    the patches normalised by the mean and spread of A's patches at that level."""
    pa = pyramid_patches(real_a, per_frame, patch, seed=100)
    pb = pyramid_patches(real_b, per_frame, patch, seed=200)
    pg = pyramid_patches(generated, per_frame, patch, seed=300)
    out = []
    size = generated.shape[1]
    for k, (a, b, g) in enumerate(zip(pa, pb, pg, strict=True)):
        mean, std = a.mean(axis=0), a.std(axis=0) + 1e-6
        a, b, g = (a - mean) / std, (b - mean) / std, (g - mean) / std
        gen_d = sliced_wasserstein(g, a, directions, seed=k)
        ref_d = sliced_wasserstein(b, a, directions, seed=k)
        out.append(
            {"size": float(size >> k), "generated": gen_d, "real": ref_d, "ratio": gen_d / ref_d}
        )
    return out


# --- sharpness and colour ---------------------------------------------------------------------


def laplacian_variance(images: Images) -> float:
    """Mean over images of the variance of the Laplacian of the luma (8-bit units)."""
    values = []
    for im in images:
        luma = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float64)
        values.append(cv2.Laplacian(luma, cv2.CV_64F).var())
    return float(np.mean(values))


def high_frequency_energy(images: Images) -> float:
    """Mean over images of the share of the luma's spectral energy (mean removed) above a
    quarter of the sampling frequency (radially)."""
    size = images.shape[1]
    f = np.fft.fftfreq(size)
    radius = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    high = radius > 0.25
    shares = []
    for im in images:
        luma = cv2.cvtColor(im, cv2.COLOR_RGB2GRAY).astype(np.float64)
        power = np.abs(np.fft.fft2(luma - luma.mean())) ** 2
        shares.append(power[high].sum() / max(power.sum(), 1e-12))
    return float(np.mean(shares))


def channel_stats(images: Images) -> tuple[list[float], list[float]]:
    """(mean, spread) per RGB channel over all pixels of ``images`` (8-bit units)."""
    x = images.reshape(-1, 3).astype(np.float64)
    return x.mean(axis=0).tolist(), x.std(axis=0).tolist()
