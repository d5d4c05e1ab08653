"""The operator's gaze panel on the stats overlay: camera thumbnail, face and eye boxes, the
state, and the gaze point."""

from __future__ import annotations

import numpy as np

from installation.events import GazeSeen
from installation.loop.gaze_panel import EYE, FACE, POINT, describe
from installation.loop.overlay import StatsOverlay
from tests.fakes import RecordingCanvas


def seen(state: str = "tracking", point: tuple[float, float] | None = (0.25, 0.5)) -> GazeSeen:
    return GazeSeen(
        state,
        0.84,
        point,
        (0.4, 0.3, 0.2, 0.25),
        ((0.42, 0.38, 0.06, 0.04), (0.52, 0.38, 0.06, 0.04)),
        np.zeros((120, 160, 3), np.uint8),
    )


def test_the_overlay_shows_the_camera_and_the_gaze_point() -> None:
    overlay = StatsOverlay(30, {"lava": "CPUExecutionProvider"})
    overlay.toggle()
    canvas = RecordingCanvas((960, 540))
    overlay.saw([seen()], now=1.0)
    overlay.draw(canvas, now=1.0)
    images = canvas.of("image")
    assert len(images) == 1 and images[0].geometry  # the thumbnail, in a box at the right
    x, top, w, h = images[0].geometry
    assert x > 960 / 2 and top < 540 / 2 and w <= 220 and h <= 200
    outlines = [d for d in canvas.of("rect") if d.colour in (FACE, EYE)]
    assert [d.colour for d in outlines] == [FACE, EYE, EYE]
    rings = [d for d in canvas.of("circle") if d.colour == POINT]
    assert rings and rings[0].geometry[0] == (240.0, 270.0)  # (0.25, 0.5) of 960x540
    assert "gaze: tracking 0.84" in canvas.texts()


def test_without_a_camera_there_is_no_panel_and_states_read_plainly() -> None:
    overlay = StatsOverlay(30, {})
    overlay.toggle()
    canvas = RecordingCanvas((960, 540))
    overlay.draw(canvas, now=0.0)
    assert canvas.of("image") == []
    overlay.saw([GazeSeen("no_camera")], now=1.0)
    canvas.clear((0, 0, 0))
    overlay.draw(canvas, now=1.0)
    assert "gaze: no camera" in canvas.texts() and canvas.of("image") == []
    assert describe(seen("no_face", None)) == "nobody looking"
    assert describe(seen("uncalibrated", None)) == "eyes seen, not calibrated"
