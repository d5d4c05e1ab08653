"""The camera thread: newest frame only, retry with backoff, video files through OpenCV."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from installation.config.gaze_schema import CameraSection
from installation.errors import InputError
from installation.inputs.gaze.camera import BgrImage, CameraFrame, CameraThread, open_capture


class ListReader:
    """A function-backed FrameReader: yields ``count`` frames, then reports the camera gone."""

    def __init__(self, count: int, fps: float = 0.0, delay: float = 0.0) -> None:
        self.count = count
        self.fps = fps
        self.is_file = fps > 0
        self.delay = delay
        self.read_frames = 0
        self.closed = False

    def read(self) -> BgrImage | None:
        if self.read_frames >= self.count:
            return None
        if self.delay:
            time.sleep(self.delay)
        image = np.full((48, 64, 3), self.read_frames % 256, np.uint8)
        self.read_frames += 1
        return image

    def rewind(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_a_slow_consumer_gets_the_newest_frame_and_older_ones_are_dropped() -> None:
    reader = ListReader(40, delay=0.002)
    camera = CameraThread(lambda: reader, "test camera", retry_seconds=30.0)
    camera.start()
    try:
        wait_for(lambda: camera.frames == 40)
        sequence, frame = camera.wait_newest(0, timeout=1.0)
        assert frame is not None and sequence == 40
        assert frame.index == 39 and int(frame.image[0, 0, 0]) == 39
        assert camera.dropped == 39  # nobody took the 39 before it
        assert camera.wait_newest(sequence, timeout=0.05) == (sequence, None)
    finally:
        camera.stop()


def test_a_missing_camera_is_one_warning_and_retries_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[float] = []

    def opener() -> ListReader:
        attempts.append(time.monotonic())
        raise InputError("OpenCV cannot open device 7")

    statuses: list[tuple[bool, str]] = []
    camera = CameraThread(
        opener,
        "camera 7",
        retry_seconds=0.02,
        retry_max_seconds=0.08,
        on_status=lambda connected, what: statuses.append((connected, what)),
    )
    with caplog.at_level(logging.WARNING, logger="installation.inputs.gaze.camera"):
        camera.start()
        wait_for(lambda: len(attempts) >= 6)
        camera.stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "camera 7 is not available" in warnings[0].getMessage()
    assert "goes on without gaze" in warnings[0].getMessage()
    gaps = np.diff(attempts[:6])
    assert gaps[-1] > gaps[0]  # backing off
    assert statuses == [(False, warnings[0].getMessage())]


def test_a_camera_that_stops_is_opened_again_and_delivers_again() -> None:
    readers: list[ListReader] = []

    def opener() -> ListReader:
        readers.append(ListReader(5))
        return readers[-1]

    statuses: list[bool] = []
    camera = CameraThread(
        opener, "flaky camera", retry_seconds=0.01, on_status=lambda c, w: statuses.append(c)
    )
    camera.start()
    try:
        wait_for(lambda: len(readers) >= 3 and camera.frames >= 15)
    finally:
        camera.stop()
    assert all(reader.closed for reader in readers[:-1])
    assert statuses[:4] == [True, False, True, False]


def write_video(path: Path, frames: int, fps: float = 30.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened()
    for index in range(frames):
        writer.write(np.full((48, 64, 3), index * 8 % 256, np.uint8))
    writer.release()


def test_a_video_file_stands_in_for_a_webcam_at_its_own_frame_rate(tmp_path: Path) -> None:
    video = tmp_path / "visitor.avi"
    write_video(video, 12, fps=60.0)
    settings = CameraSection(enabled=True, source=str(video))
    reader = open_capture(settings)
    assert reader.is_file and reader.fps == pytest.approx(60.0)
    reader.close()
    got: list[CameraFrame] = []
    done = threading.Event()
    camera = CameraThread(lambda: open_capture(settings), settings.describe, retry_seconds=30)
    started = time.perf_counter()
    camera.start()
    try:
        sequence = 0
        while len(got) < 12 and time.perf_counter() - started < 10:
            sequence, frame = camera.wait_newest(sequence, timeout=0.5)
            if frame is not None:
                got.append(frame)
        done.set()
    finally:
        camera.stop()
    assert [frame.index for frame in got] == list(range(12))
    # Paced: 12 frames at 60 fps take about 0.18 s, not the microseconds a decode takes.
    assert got[-1].captured_at - got[0].captured_at >= 11 / 60 * 0.8


def test_a_looped_video_starts_over(tmp_path: Path) -> None:
    video = tmp_path / "loop.avi"
    write_video(video, 4, fps=200.0)
    settings = CameraSection(enabled=True, source=str(video), loop=True)
    camera = CameraThread(lambda: open_capture(settings), "loop", loop=True)
    camera.start()
    try:
        wait_for(lambda: camera.frames >= 12)
    finally:
        camera.stop()
    assert camera.connections >= 3 and camera.connected


def test_open_capture_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_capture(CameraSection(source=str(tmp_path / "gone.avi")))
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(InputError, match="cannot open"):
        open_capture(CameraSection(source=str(junk)))
    with pytest.raises(InputError, match="device 57"):
        open_capture(CameraSection(source=57))


def test_the_source_is_described_and_resolved(tmp_path: Path) -> None:
    assert CameraSection(source=0).describe == "camera 0"
    assert CameraSection(source="rtsp://cam/1").describe == "stream rtsp://cam/1"
    resolved = CameraSection(source="clips/a.avi").resolved(tmp_path)
    assert resolved.source == str((tmp_path / "clips" / "a.avi").resolve())
    assert CameraSection(source="rtsp://cam/1").resolved(tmp_path).source == "rtsp://cam/1"
