"""The rainbow image measures: conic fits of the primary bow, pyramid SWD, sharpness, colour."""

from __future__ import annotations

import cv2
import numpy as np

from installation.training.rainbow.image_measures import (
    bow_stats,
    channel_stats,
    find_primary_bow,
    high_frequency_energy,
    laplacian_pyramid,
    laplacian_variance,
    pyramid_swd,
)
from installation.training.rainbow.renderer import render_rainbow

BANDS = [(255, 0, 0), (255, 160, 0), (255, 255, 0), (0, 200, 0), (0, 90, 255), (140, 0, 255)]


def _bow_image(
    centre: tuple[int, int], axes: tuple[int, int], angle: int, size: int = 256
) -> np.ndarray:
    """A grey sky with a thin rainbow-coloured elliptical arc (red outside)."""
    image = np.full((size, size, 3), 110, dtype=np.uint8)
    for k, colour in enumerate(BANDS):
        grown = (axes[0] + 3 - k, axes[1] + 3 - k)
        cv2.ellipse(image, centre, grown, angle, 180, 360, colour, 1, cv2.LINE_AA)
    return image


def test_an_elliptical_bow_is_found_with_its_axes() -> None:
    fit = find_primary_bow(_bow_image((128, 200), (100, 80), 0))
    assert fit.found
    assert fit.residual < 0.01
    assert abs(max(fit.axes) - 100) < 6 and abs(min(fit.axes) - 80) < 6
    assert fit.arc_deg > 90


def test_noise_and_a_plain_sky_have_no_bow() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    plain = np.full((256, 256, 3), 120, dtype=np.uint8)
    assert not find_primary_bow(noise).found
    assert not find_primary_bow(plain).found


def test_a_bent_band_fits_worse_than_a_conic() -> None:
    good = _bow_image((128, 230), (150, 120), 0)
    wavy = np.full((256, 256, 3), 110, dtype=np.uint8)
    xs = np.arange(20, 236)
    for k, colour in enumerate(BANDS):
        ys = 120 + 25 * np.sin(xs / 18.0) + k
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(wavy, [pts], False, colour, 1, cv2.LINE_AA)
    bent = find_primary_bow(wavy)
    assert not bent.found or bent.residual > 3 * find_primary_bow(good).residual


def test_renderer_bows_are_mostly_found() -> None:
    images = np.stack([render_rainbow(1_000_000 + i, 256) for i in range(12)])
    stats = bow_stats(images)
    assert stats.found >= 6
    assert stats.median_residual < 0.05


def test_pyramid_levels_and_their_sum() -> None:
    images = np.stack([render_rainbow(1_000_000 + i, 64) for i in range(2)])
    levels = laplacian_pyramid(images)
    assert [lv.shape[1] for lv in levels] == [64, 32, 16]
    # Each band-pass level plus the next level upsampled gives back the level above.
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        up = np.stack([cv2.pyrUp(im, dstsize=(band.shape[2], band.shape[1])) for im in rebuilt])
        rebuilt = band + up
    assert np.abs(rebuilt - images.astype(np.float32)).max() < 1e-3


def test_pyramid_swd_sees_blur_at_the_fine_levels_only() -> None:
    real = np.stack([render_rainbow(1_000_000 + i, 64) for i in range(40)])
    other = np.stack([render_rainbow(1_000_100 + i, 64) for i in range(40)])
    blurred = np.stack([cv2.GaussianBlur(im, (0, 0), 1.5) for im in other])
    same = pyramid_swd(other, real, real[::-1].copy(), directions=64)
    blur = pyramid_swd(blurred, real, other, directions=64)
    assert blur[0]["ratio"] > 2.0  # the 64 px band-pass level lost its detail
    assert blur[0]["ratio"] > 2 * same[0]["ratio"]


def test_sharpness_and_colour_statistics() -> None:
    images = np.stack([render_rainbow(1_000_000 + i, 64) for i in range(6)])
    blurred = np.stack([cv2.GaussianBlur(im, (0, 0), 1.5) for im in images])
    assert laplacian_variance(blurred) < 0.5 * laplacian_variance(images)
    assert high_frequency_energy(blurred) < 0.5 * high_frequency_energy(images)
    mean, spread = channel_stats(np.full((2, 4, 4, 3), (10, 20, 30), dtype=np.uint8))
    assert mean == [10.0, 20.0, 30.0] and spread == [0.0, 0.0, 0.0]
