"""Gaze recordings: camera frames plus the target shown at each, to measure a real set-up.

``installation calibrate --record DIR`` writes one (the operator asked for camera frames on
disk; nothing else ever writes them) and ``installation gaze eval DIR`` reads it::

    DIR/recording.json   {"format": "installation.gaze-recording/1", "video": "camera.avi",
                          "fps": 30.0, "frame_size": [640, 480],
                          "screen": {"width_px", "height_px", "width_cm", "height_cm",
                                     "distance_cm"},
                          "frames": [{"index": 0, "target": [x, y] | null,
                                      "role": "calibrate" | "validate" | null}, ...]}
    DIR/camera.avi       the frames, in order (Motion JPEG)

One ``frames`` entry per video frame; ``target`` is where the visitor was looking (in [0, 1]
of the screen), null while the eyes travelled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from installation.errors import InputError
from installation.inputs.gaze.camera import BgrImage

FORMAT = "installation.gaze-recording/1"
VIDEO_NAME = "camera.avi"


@dataclass(frozen=True)
class Screen:
    """The screen a recording was made for: pixels, size and viewing distance."""

    width_px: int
    height_px: int
    width_cm: float
    height_cm: float
    distance_cm: float


@dataclass(frozen=True)
class RecordedFrame:
    index: int
    target: tuple[float, float] | None
    role: str | None


@dataclass(frozen=True)
class Recording:
    folder: Path
    video: Path
    fps: float
    screen: Screen
    frames: tuple[RecordedFrame, ...]

    def images(self) -> Iterator[tuple[RecordedFrame, BgrImage]]:
        """The frames with their video images, in order."""
        capture = cv2.VideoCapture(str(self.video))
        if not capture.isOpened():
            raise InputError(f"{self.video} cannot be read as a video")
        try:
            for entry in self.frames:
                ok, image = capture.read()
                if not ok:
                    raise InputError(
                        f"{self.video} ends at frame {entry.index}, but "
                        f"{self.folder / 'recording.json'} lists {len(self.frames)} frames"
                    )
                yield entry, np.asarray(image, dtype=np.uint8)
        finally:
            capture.release()


def read_recording(folder: Path) -> Recording:
    """Read a recording folder (or its recording.json); ``InputError`` says what is wrong."""
    index = folder if folder.suffix == ".json" else folder / "recording.json"
    try:
        data: Any = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{index} does not exist: a recording is a folder written by "
            "`installation calibrate --record DIR`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{index} is not a readable recording: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"{index} is not a gaze recording (expected format {FORMAT!r})")
    try:
        screen = Screen(**data["screen"])
        frames = tuple(
            RecordedFrame(
                int(entry["index"]),
                None
                if entry["target"] is None
                else (float(entry["target"][0]), float(entry["target"][1])),
                entry["role"],
            )
            for entry in data["frames"]
        )
        video = index.parent / str(data["video"])
        fps = float(data["fps"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"{index} lacks or mangles a field ({exc!r})") from None
    if not video.is_file():
        raise InputError(f"{index} names the video {video}, which does not exist")
    return Recording(index.parent, video, fps, screen, frames)


class RecordingWriter:
    """Writes a recording as frames arrive (camera frames go to disk: only on request)."""

    def __init__(self, folder: Path, fps: float, screen: Screen) -> None:
        self.folder = folder
        self.fps = fps
        self.screen = screen
        self._writer: cv2.VideoWriter | None = None
        self._frames: list[dict[str, Any]] = []
        self._size: tuple[int, int] | None = None

    def add(self, image: BgrImage, target: tuple[float, float] | None, role: str | None) -> None:
        height, width = image.shape[:2]
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            fourcc = cv2.VideoWriter.fourcc(*"MJPG")
            path = str(self.folder / VIDEO_NAME)
            self._writer = cv2.VideoWriter(path, fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise InputError(f"OpenCV cannot write the video {path}")
            self._writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
            self._size = (width, height)
        if (width, height) != self._size:
            image = np.asarray(cv2.resize(image, self._size), dtype=np.uint8)
        self._writer.write(image)
        entry: dict[str, Any] = {"index": len(self._frames), "target": None, "role": None}
        if target is not None and role is not None:
            entry |= {"target": [round(target[0], 6), round(target[1], 6)], "role": role}
        self._frames.append(entry)

    def close(self) -> Path | None:
        """Finish the video and write recording.json; returns its path (None: no frames)."""
        if self._writer is None:
            return None
        self._writer.release()
        size = self._size or (0, 0)
        document = {
            "format": FORMAT,
            "video": VIDEO_NAME,
            "fps": self.fps,
            "frame_size": list(size),
            "screen": self.screen.__dict__,
            "frames": self._frames,
        }
        path = self.folder / "recording.json"
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        return path
