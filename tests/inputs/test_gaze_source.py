"""The gaze source's state from the start: with no camera, the operator's panel says so on the
first frame, not only after a camera was lost."""

from __future__ import annotations

from installation.config.gaze_schema import CameraSection, GazeSection
from installation.config.schema import GazeControls
from installation.errors import InputError
from installation.events import Event, GazeSeen
from installation.inputs.gaze.camera import FrameReader
from installation.inputs.gaze.source import GazeInput
from installation.loop.overlay import StatsOverlay
from tests.fakes import RecordingCanvas


def no_camera() -> FrameReader:
    raise InputError("no such device")


def test_with_no_camera_from_the_start_the_panel_says_no_camera_on_the_first_frame() -> None:
    camera = CameraSection(enabled=True, source=57, retry_seconds=60.0, retry_max_seconds=60.0)
    source = GazeInput(camera, GazeSection(calibration=None), GazeControls(), opener=no_camera)
    posted: list[Event] = []
    assert source.check() is None
    source.start(posted.append)
    try:
        # What start posted is on the queue before the loop's first frame drains it.
        first_frame = list(posted)
    finally:
        source.stop()
    assert [e.state for e in first_frame if isinstance(e, GazeSeen)][:1] == ["no_camera"]
    overlay = StatsOverlay(30, {})
    overlay.toggle()
    overlay.saw(first_frame, now=0.0)
    canvas = RecordingCanvas((960, 540))
    overlay.draw(canvas, now=0.0)
    assert "gaze: no camera" in canvas.texts()


def test_paused_the_camera_is_released_and_resumed_it_is_opened_again() -> None:
    import threading

    opened: list[int] = []
    closed = threading.Event()

    import numpy as np

    class Camera:
        fps, is_file = 0.0, False

        def read(self) -> np.ndarray:
            threading.Event().wait(0.01)
            return np.zeros((48, 64, 3), np.uint8)

        def rewind(self) -> bool:
            return False

        def close(self) -> None:
            closed.set()

    def opener() -> FrameReader:
        opened.append(1)
        return Camera()  # type: ignore[return-value]

    camera = CameraSection(enabled=True, source=0, retry_seconds=60.0, retry_max_seconds=60.0)
    source = GazeInput(camera, GazeSection(calibration=None), GazeControls(), opener=opener)
    source.start(lambda event: None)
    try:
        source.resume()  # not paused: nothing happens
        deadline = threading.Event()
        for _ in range(200):
            if opened:
                break
            deadline.wait(0.01)
        assert opened == [1]
        source.pause()
        assert closed.wait(5.0)  # the device is released without the caller waiting for it
        source.pause()
        source.resume()
        for _ in range(200):
            if len(opened) == 2:
                break
            deadline.wait(0.01)
        assert len(opened) == 2
    finally:
        source.stop()
