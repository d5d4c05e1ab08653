"""Hue rotation, saturation and brightness as one 3x3 matrix applied to an RGB image."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from installation.canvas import Image

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


def grade_matrix(hue_degrees: float, saturation: float, brightness: float) -> NDArray[np.float32]:
    """A matrix M with ``rgb_out = M @ rgb_in``.

    Hue turns colours about the grey axis (greys stay grey, the mean of R, G and B is kept;
    luma is not); saturation scales the distance from grey (luma-weighted); brightness
    scales everything. Identity for (0, 1, 1).
    """
    angle = math.radians(hue_degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    # Rotation about the (1,1,1) axis (Rodrigues), which keeps grey grey.
    k = 1.0 / math.sqrt(3.0)
    axis = np.array([k, k, k])
    cross = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rotation = cos * np.eye(3) + sin * cross + (1 - cos) * np.outer(axis, axis)
    grey = np.outer(np.ones(3), _LUMA)
    saturate = grey + saturation * (np.eye(3) - grey)
    return (brightness * saturate @ rotation).astype(np.float32)


def apply_grade(image: Image, matrix: NDArray[np.float32]) -> Image:
    """Apply ``matrix`` to every pixel; returns a new contiguous uint8 image."""
    out = image.astype(np.float32) @ matrix.T
    graded: Image = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return graded


def is_identity(matrix: NDArray[np.float32]) -> bool:
    return bool(np.allclose(matrix, np.eye(3), atol=1e-6))
