"""Real lava lamp footage from a video file: the one training module that imports OpenCV.

Frames are centre-cropped to a square (a lamp is taller than wide, so a portrait phone video
loses little), resized to the model's frame size and returned as uint8 RGB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from installation.errors import TrainingError


def centre_square(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The largest centred square of ``frame`` (H, W, C)."""
    h, w = frame.shape[:2]
    side = min(h, w)
    top = (h - side) // 2
    left = (w - side) // 2
    return frame[top : top + side, left : left + side]


def iter_video_frames(path: Path, size: int = 64, stride: int = 1) -> Iterator[NDArray[np.uint8]]:
    """Yield every ``stride``-th frame of ``path`` as uint8 RGB (size, size, 3)."""
    import cv2

    if not path.is_file():
        raise TrainingError(
            f"Video file {path} does not exist. Pass --video with the path of a lava lamp video "
            "(any format OpenCV reads, e.g. an MP4 from a phone)."
        )
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise TrainingError(
                f"OpenCV cannot open {path} as a video. Convert it to MP4 (H.264), "
                "e.g. with `ffmpeg -i INPUT -c:v libx264 lamp.mp4`, and pass that file."
            )
        index = 0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            if index % stride == 0:
                square = centre_square(np.asarray(bgr, dtype=np.uint8))
                small = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
                yield np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            index += 1
    finally:
        capture.release()


def video_frame_rate(path: Path) -> float:
    """Frames per second stored in the file (30 when the container does not say)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS)) if capture.isOpened() else 0.0
    finally:
        capture.release()
    return fps if np.isfinite(fps) and fps > 0 else 30.0


def load_video_footage(
    path: Path, size: int = 64, step_seconds: float = 0.1, min_frames: int = 16
) -> NDArray[np.uint8]:
    """Read ``path`` into (N, size, size, 3) uint8 frames spaced ``step_seconds`` apart.

    Raises TrainingError when the file is missing, unreadable or yields fewer than
    ``min_frames`` frames at that spacing.
    """
    path = Path(path)
    stride = max(1, round(video_frame_rate(path) * step_seconds)) if path.is_file() else 1
    frames = list(iter_video_frames(path, size=size, stride=stride))
    if len(frames) < min_frames:
        raise TrainingError(
            f"Video {path} gave {len(frames)} frames at {step_seconds} s spacing; training "
            f"needs at least {min_frames}. Use a longer video (a few minutes of a running lamp "
            "works well)."
        )
    return np.stack(frames)
