"""The procedural rainbow renderer: determinism, output format and the bows' optics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from installation.training.rainbow.renderer import (
    BowOptics,
    Camera,
    angle_map,
    bow_table,
    channel_peak_deg,
    elevation_azimuth,
    rainbow_angle_deg,
    render_dataset,
    render_rainbow,
    render_scene,
    sample_scene,
)

RED, GREEN, BLUE = 0, 1, 2


def test_same_seed_same_image_and_different_seeds_differ() -> None:
    a = render_rainbow(7, 64)
    assert a.dtype == np.uint8 and a.shape == (64, 64, 3)
    assert np.array_equal(a, render_rainbow(7, 64))
    assert not np.array_equal(a, render_rainbow(8, 64))


def test_dataset_stacks_images_of_the_requested_size() -> None:
    images = render_dataset(range(3), 48)
    assert images.shape == (3, 48, 48, 3) and images.dtype == np.uint8
    assert np.array_equal(images[1], render_rainbow(1, 48))


def test_water_caustic_angles() -> None:
    primary = rainbow_angle_deg(np.array([400.0, 700.0]), 1)
    secondary = rainbow_angle_deg(np.array([400.0, 700.0]), 2)
    assert 40.3 < primary[0] < 41.0 and 42.0 < primary[1] < 42.6  # violet inside, red outside
    assert 53.0 < secondary[0] < 54.0 and 50.0 < secondary[1] < 51.0  # reversed


def test_primary_is_near_42_degrees_with_red_outside_blue() -> None:
    for optics in (BowOptics(), BowOptics(airy_scale=0.4, smear=0.02), BowOptics(0.15, 0.3)):
        red = channel_peak_deg(optics, RED, 38.0, 45.0)
        blue = channel_peak_deg(optics, BLUE, 38.0, 45.0)
        assert 41.0 <= red <= 42.6
        assert blue < red


def test_secondary_has_reversed_colours_and_is_fainter() -> None:
    optics = BowOptics(secondary_strength=0.4)
    red = channel_peak_deg(optics, RED, 49.0, 56.0)
    blue = channel_peak_deg(optics, BLUE, 49.0, 56.0)
    assert 50.0 <= red <= 52.0
    assert blue > red
    angles, rgb = bow_table(optics)
    primary_peak = rgb[(angles > 39) & (angles < 44)].max()
    secondary_peak = rgb[(angles > 49) & (angles < 56)].max()
    assert secondary_peak < primary_peak


def test_alexanders_band_is_darker_than_the_sky_inside_the_primary() -> None:
    angles, rgb = bow_table(BowOptics())
    lum = rgb.mean(axis=1)
    inside = lum[(angles > 34.0) & (angles < 39.0)].mean()
    band = lum[(angles > 44.5) & (angles < 49.0)].mean()
    outside_secondary = lum[(angles > 56.0) & (angles < 60.0)].mean()
    assert band < 0.2 * inside
    assert band < outside_secondary


def test_angle_map_is_centred_on_the_antisolar_point() -> None:
    # Looking straight at the antisolar point: the image centre is 0 degrees from it.
    camera = Camera(fov_deg=100.0, pitch_deg=-20.0, yaw_deg=0.0, sun_elevation_deg=20.0)
    theta = angle_map(camera, 65)
    assert theta[32, 32] < 1.0
    assert theta.max() > 42.0
    elevation, azimuth = elevation_azimuth(camera, 65)
    assert elevation[0, 32] > elevation[64, 32]  # up is up
    assert azimuth[32, 64] > azimuth[32, 0]  # right is right


def test_rendered_bow_lies_on_the_42_degree_circle_with_red_outside() -> None:
    # A plain scene: overcast grey sky, rain everywhere, no secondary, the whole bow in view.
    scene = replace(
        sample_scene(3),
        camera=Camera(fov_deg=110.0, pitch_deg=25.0, yaw_deg=0.0, sun_elevation_deg=10.0),
        optics=BowOptics(airy_scale=0.2, smear=0.1, secondary_strength=0.0),
        sky="overcast",
        cloud_cover=0.0,
        rain_azimuth=(-180.0, 180.0),
        rain_top_deg=90.0,
        rain_patchiness=0.0,
    )
    size = 256
    image = render_scene(scene, size).astype(np.float64)
    theta = angle_map(scene.camera, size)
    elevation, _ = elevation_azimuth(scene.camera, size)
    sky = elevation > 8.0  # above any landscape
    bins = np.arange(36.0, 47.0, 0.5)
    profile = np.stack(
        [image[sky & (theta >= lo) & (theta < lo + 0.5)].mean(axis=0) for lo in bins]
    )
    red_peak = bins[np.argmax(profile[:, RED])] + 0.25
    blue_peak = bins[np.argmax(profile[:, BLUE] - profile[:, RED])] + 0.25
    assert 41.0 <= red_peak <= 43.0
    assert blue_peak < red_peak
    inside = profile[(bins >= 36.0) & (bins < 39.0)].mean()
    band = profile[(bins >= 44.0) & (bins < 47.0)].mean()
    assert band < inside


@pytest.mark.parametrize("seed", range(6))
def test_scenes_cover_the_documented_variety(seed: int) -> None:
    scene = sample_scene(seed)
    assert scene.sky in ("clear", "stormy", "sunset", "overcast")
    assert scene.landscape in ("hills", "sea", "mountains", "trees", "town")
    assert 0.0 < scene.camera.sun_elevation_deg < 42.0  # otherwise no bow above the horizon
