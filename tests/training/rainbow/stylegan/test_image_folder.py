"""The artist's photo folder loader: centre-crop, resize, skip unreadable files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from installation.errors import TrainingError
from installation.training.rainbow.stylegan.image_folder import load_image_folder, load_square_image


def _write(path: Path, width: int, height: int, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (width, height), colour).save(path)


def test_landscape_photo_is_centre_cropped_and_resized(tmp_path: Path) -> None:
    # 300x100: left third red, middle third green, right third blue; the centre square is green.
    image = np.zeros((100, 300, 3), dtype=np.uint8)
    image[:, :100, 0] = 255
    image[:, 100:200, 1] = 255
    image[:, 200:, 2] = 255
    Image.fromarray(image).save(tmp_path / "wide.png")
    square = load_square_image(tmp_path / "wide.png", 32)
    assert square.shape == (32, 32, 3) and square.dtype == np.uint8
    assert square[4:28, 4:28, 1].min() > 200
    assert square[4:28, 4:28, [0, 2]].max() < 40


def test_folder_loads_images_in_subfolders_and_skips_unreadable_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path / "a.jpg", 64, 48, (200, 50, 50))
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "sub" / "b.png", 40, 80, (50, 200, 50))
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    with caplog.at_level(logging.WARNING):
        images = load_image_folder(tmp_path, 16)
    assert images.shape == (2, 16, 16, 3) and images.dtype == np.uint8
    assert "broken.jpg" in caplog.text


def test_missing_folder_is_a_training_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="does not exist"):
        load_image_folder(tmp_path / "nope", 16)


def test_folder_without_a_usable_image_is_a_training_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(TrainingError, match="No usable image"):
        load_image_folder(tmp_path, 16)
