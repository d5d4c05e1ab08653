"""Tests for reading real lava lamp footage from a video file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from installation.errors import TrainingError
from installation.training.lava.video_footage import centre_square, load_video_footage


def _write_video(path: Path, frames: int, width: int = 96, height: int = 128) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        bgr = np.zeros((height, width, 3), dtype=np.uint8)
        bgr[:, :, 2] = 200  # red in BGR
        bgr[(i * 3) % height : (i * 3) % height + 10, :, 1] = 255
        writer.write(bgr)
    writer.release()


def test_reads_crops_and_resizes_a_video(tmp_path: Path) -> None:
    path = tmp_path / "lamp.avi"
    _write_video(path, frames=60)
    frames = load_video_footage(path, size=64, step_seconds=0.1, min_frames=10)
    # 30 fps with 0.1 s spacing keeps every third frame.
    assert frames.shape == (20, 64, 64, 3)
    assert frames.dtype == np.uint8
    # RGB order: the red channel is the bright one.
    assert frames[..., 0].mean() > 150 > frames[..., 2].mean()


def test_missing_file_raises_training_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="does not exist"):
        load_video_footage(tmp_path / "nope.mp4")


def test_unreadable_file_raises_training_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"this is not a video")
    with pytest.raises(TrainingError):
        load_video_footage(path)


def test_too_short_video_raises_training_error(tmp_path: Path) -> None:
    path = tmp_path / "short.avi"
    _write_video(path, frames=6)
    with pytest.raises(TrainingError, match="frames"):
        load_video_footage(path, min_frames=16)


def test_centre_square_takes_the_middle() -> None:
    frame = np.zeros((100, 60, 3), dtype=np.uint8)
    frame[20:80] = 1
    square = centre_square(frame)
    assert square.shape == (60, 60, 3)
    assert square.min() == 1
