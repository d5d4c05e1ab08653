from __future__ import annotations

import numpy as np
import pytest

from installation.scenes.colour_grade import apply_grade, grade_matrix, is_identity

RED = np.array([255, 0, 0], dtype=np.uint8)


def pixel(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    return np.asarray(rgb, dtype=np.uint8).reshape(1, 1, 3)


def test_neutral_settings_give_the_identity() -> None:
    matrix = grade_matrix(0.0, 1.0, 1.0)
    assert matrix.shape == (3, 3)
    assert matrix.dtype == np.float32
    np.testing.assert_allclose(matrix, np.eye(3), atol=1e-6)
    assert is_identity(matrix)


@pytest.mark.parametrize("settings", [(10.0, 1.0, 1.0), (0.0, 0.5, 1.0), (0.0, 1.0, 1.2)])
def test_any_change_is_not_the_identity(settings: tuple[float, float, float]) -> None:
    assert not is_identity(grade_matrix(*settings))


def test_identity_leaves_an_image_unchanged() -> None:
    image = np.random.default_rng(0).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    out = apply_grade(image, grade_matrix(0.0, 1.0, 1.0))
    np.testing.assert_array_equal(out, image)
    assert out is not image
    assert out.dtype == np.uint8 and out.flags.c_contiguous


@pytest.mark.parametrize("hue", [-150.0, -45.0, 30.0, 90.0, 180.0])
@pytest.mark.parametrize("level", [0, 37, 128, 255])
def test_grey_stays_grey_under_hue_rotation(hue: float, level: int) -> None:
    out = apply_grade(pixel((level, level, level)), grade_matrix(hue, 1.0, 1.0))
    assert np.abs(out.astype(int) - level).max() <= 1


def test_hue_rotation_of_120_degrees_turns_red_towards_green() -> None:
    out = apply_grade(pixel(RED), grade_matrix(120.0, 1.0, 1.0))[0, 0].astype(int)
    red, green, blue = out
    assert green > 200
    assert red < 30 and blue < 30


def test_hue_rotation_of_minus_120_degrees_turns_red_towards_blue() -> None:
    out = apply_grade(pixel(RED), grade_matrix(-120.0, 1.0, 1.0))[0, 0].astype(int)
    assert out[2] > 200 and out[0] < 30 and out[1] < 30


def test_three_turns_of_120_degrees_come_back() -> None:
    matrix = grade_matrix(120.0, 1.0, 1.0)
    np.testing.assert_allclose(matrix @ matrix @ matrix, np.eye(3), atol=1e-5)


def test_hue_rotation_keeps_vector_length() -> None:
    matrix = grade_matrix(77.0, 1.0, 1.0).astype(np.float64)
    np.testing.assert_allclose(matrix.T @ matrix, np.eye(3), atol=1e-5)


def test_saturation_zero_gives_grey() -> None:
    image = np.random.default_rng(1).integers(0, 256, (6, 6, 3), dtype=np.uint8)
    out = apply_grade(image, grade_matrix(0.0, 0.0, 1.0)).astype(int)
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 1
    assert np.abs(out[..., 1] - out[..., 2]).max() <= 1
    luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(out[..., 0] - luma).max() <= 1.0


def test_saturation_above_one_moves_away_from_grey() -> None:
    colour = pixel((180, 120, 100))
    out = apply_grade(colour, grade_matrix(0.0, 2.0, 1.0))[0, 0].astype(int)
    assert out[0] - out[2] > 180 - 100


@pytest.mark.parametrize("brightness", [0.0, 0.5, 1.5])
def test_brightness_scales(brightness: float) -> None:
    image = np.array([[[100, 50, 20], [160, 160, 160]]], dtype=np.uint8)
    out = apply_grade(image, grade_matrix(0.0, 1.0, brightness)).astype(float)
    np.testing.assert_allclose(out, image.astype(float) * brightness, atol=1.0)


def test_output_is_clipped_to_bytes() -> None:
    out = apply_grade(pixel((250, 250, 250)), grade_matrix(0.0, 1.0, 3.0))
    np.testing.assert_array_equal(out, pixel((255, 255, 255)))
