"""The camera: a capture thread that keeps only the newest frame, and survives losing the camera.

A webcam, a video file or a stream URL is read through one seam, ``FrameReader`` (OpenCV's
``VideoCapture`` behind ``open_capture``; tests pass function-backed readers). A video file
is played at its own frame rate, so it stands in for a webcam. Frames stay in memory: this
module never writes one anywhere.

A camera that is missing or unplugged is one clear log line and a retry with backoff (doubling
from ``retry_seconds`` to ``retry_max_seconds``), never an exception: the show goes on without
gaze and picks the camera up again when it is back. ``cv2.VideoCapture`` does not raise on a
missing device; ``isOpened()`` and ``read()`` just say False.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from installation.config.gaze_schema import CameraSection
from installation.errors import InputError

log = logging.getLogger(__name__)
BgrImage = NDArray[np.uint8]
"""A camera frame: height x width x 3, BGR (OpenCV's order)."""


class FrameReader(Protocol):
    """An open camera, video file or stream."""

    fps: float
    """Frames per second it delivers (0 = unknown)."""
    is_file: bool
    """A file is paced to ``fps`` by the reader's thread; a device paces itself."""

    def read(self) -> BgrImage | None:
        """The next frame, or None when the camera gave nothing (unplugged, file ended)."""

    def rewind(self) -> bool:
        """Start a file over; False when it cannot (devices, streams)."""

    def close(self) -> None: ...


class OpenCvReader:
    """``cv2.VideoCapture`` as a ``FrameReader``."""

    def __init__(self, capture: cv2.VideoCapture, is_file: bool) -> None:
        self._capture = capture
        self.is_file = is_file
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.0 < fps < 1000.0 else 0.0

    def read(self) -> BgrImage | None:
        ok, frame = self._capture.read()
        if not ok or frame is None or frame.ndim != 3:
            return None
        return np.asarray(frame, dtype=np.uint8)

    def rewind(self) -> bool:
        return self.is_file and bool(self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def close(self) -> None:
        self._capture.release()


def open_capture(settings: CameraSection) -> FrameReader:
    """Open the show's camera, video file or stream; ``InputError`` says why it cannot."""
    source = settings.source
    if isinstance(source, int):
        # OpenCV logs an ERROR line of its own on every try at a missing device; the camera
        # thread says it once, clearly, and retries quietly. Only this call is silenced.
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            capture = cv2.VideoCapture(source)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if capture.isOpened():
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, settings.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, settings.height)
            capture.set(cv2.CAP_PROP_FPS, settings.fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a queue of old ones
        is_file = False
    else:
        is_file = "://" not in source
        if is_file and not Path(source).is_file():
            raise InputError(f"video file {source} does not exist")
        capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        what = f"device {source}" if isinstance(source, int) else source
        raise InputError(f"OpenCV cannot open {what} (unplugged, in use, or not a video)")
    return OpenCvReader(capture, is_file)


@dataclass(frozen=True, eq=False)
class CameraFrame:
    """One frame and where it came from.

    ``index`` counts frames since the source was opened (for a file: its frame number), so a
    calibration can tell which target was shown when a frame was taken; ``connection``
    counts (re)openings; ``captured_at`` is ``perf_counter`` when the frame arrived.
    """

    image: BgrImage
    index: int
    connection: int
    captured_at: float


Opener = Callable[[], FrameReader]
StatusCallback = Callable[[bool, str], None]
"""Told ``(True, what)`` when the camera delivers again, ``(False, why)`` when it is lost."""


class CameraThread:
    """Reads a camera on its own thread; ``wait_newest`` hands out only the newest frame.

    Frames that nobody took before the next one arrived are dropped (and counted), so a slow
    consumer always works on the present, never on a backlog.
    """

    def __init__(
        self,
        opener: Opener,
        describe: str,
        *,
        loop: bool = False,
        retry_seconds: float = 1.0,
        retry_max_seconds: float = 30.0,
        on_status: StatusCallback | None = None,
    ) -> None:
        self._opener = opener
        self.describe = describe
        self._loop = loop
        self._retry = retry_seconds
        self._retry_max = retry_max_seconds
        self._on_status = on_status or (lambda connected, what: None)
        self._stop = threading.Event()
        self._new_frame = threading.Condition()
        self._newest: CameraFrame | None = None
        self._sequence = 0
        self._taken = 0
        self._thread: threading.Thread | None = None
        self.frames = 0
        self.dropped = 0
        self.connections = 0
        self.failures = 0
        self.connected = False

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        """Stop reading; the thread ends after its current read, closing the device (it is
        waited for a second at most; not at all with ``wait=False``)."""
        self._stop.set()
        with self._new_frame:
            self._new_frame.notify_all()
        if wait and self._thread is not None:
            self._thread.join(timeout=1.0)

    def wait_newest(self, after: int, timeout: float) -> tuple[int, CameraFrame | None]:
        """The newest frame once one newer than sequence number ``after`` exists (or None)."""
        with self._new_frame:
            if self._sequence <= after and not self._stop.is_set():
                self._new_frame.wait(timeout)
            if self._sequence <= after:
                return after, None
            self._taken = self._sequence
            return self._sequence, self._newest

    # the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        wait = self._retry
        while not self._stop.is_set():
            reader = self._open()
            if reader is None:
                self._stop.wait(wait)
                wait = min(self._retry_max, wait * 2.0)
                continue
            delivered = self._read_all(reader)
            reader.close()
            if delivered:
                wait = self._retry  # it worked for a while: the next try is soon
            if not self._stop.is_set():
                self._lost(f"{self.describe} stopped giving frames; retrying in {wait:g} s")
                self._stop.wait(wait)
                wait = min(self._retry_max, wait * 2.0)

    def _open(self) -> FrameReader | None:
        try:
            reader = self._opener()
        except InputError as exc:
            self.failures += 1
            if self.failures == 1 or self.connected:
                self._lost(
                    f"{self.describe} is not available ({exc}); the show goes on without "
                    f"gaze and tries again every {self._retry:g}-{self._retry_max:g} s"
                )
            else:
                log.debug("%s still not available: %s", self.describe, exc)
            return None
        self.connections += 1
        return reader

    def _read_all(self, reader: FrameReader) -> int:
        """Read until the camera stops or the thread is stopped; returns frames delivered."""
        index = 0
        started = time.perf_counter()
        period = 1.0 / reader.fps if reader.is_file and reader.fps > 0 else 0.0
        while not self._stop.is_set():
            if period:  # a file plays in real time, as a webcam would deliver it
                due = started + index * period
                delay = due - time.perf_counter()
                if delay > 0 and self._stop.wait(delay):
                    break
            image = reader.read()
            if image is None and self._loop and reader.rewind():
                image = reader.read()
                # A looped file starts a new take: its frame numbers start over too.
                index, started = 0, time.perf_counter()
                self.connections += 1
            if image is None:
                break
            if index == 0 and not self.connected:
                self.connected = True
                height, width = image.shape[:2]
                log.info("%s delivers %dx%d frames", self.describe, width, height)
                self._on_status(True, f"{self.describe} connected ({width}x{height})")
            self._publish(CameraFrame(image, index, self.connections, time.perf_counter()))
            index += 1
        return index

    def _publish(self, frame: CameraFrame) -> None:
        with self._new_frame:
            if self._newest is not None and self._sequence > self._taken:
                self.dropped += 1  # the previous frame was never taken
            self._newest = frame
            self._sequence += 1
            self.frames += 1
            self._new_frame.notify_all()

    def _lost(self, message: str) -> None:
        was = self.connected
        self.connected = False
        log.warning("%s", message)
        if was or self.failures <= 1:
            self._on_status(False, message)
