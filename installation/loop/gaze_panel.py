"""The operator's view of gaze tracking: the camera thumbnail with the detected face and eyes,
the state and confidence, and the gaze point drawn on the screen.

Drawn by the stats overlay on the running show and by ``installation calibrate``. The
thumbnail comes in a ``GazeSeen`` event and is only drawn: it stays in memory.
"""

from __future__ import annotations

from installation.canvas import Canvas, Colour
from installation.events import GazeSeen

FACE: Colour = (96, 184, 255)
EYE: Colour = (120, 255, 140)
POINT: Colour = (255, 210, 64)
TEXT: Colour = (236, 236, 236)
FRAME: Colour = (0, 0, 0)
_STATES = {
    "no_camera": "no camera",
    "no_face": "nobody looking",
    "uncalibrated": "eyes seen, not calibrated",
    "calibrating": "eyes found",
    "tracking": "tracking",
}


def describe(seen: GazeSeen | None) -> str:
    """The gaze state in a few words (``tracking 0.84``)."""
    if seen is None:
        return "no camera"
    words = _STATES.get(seen.state, seen.state)
    return f"{words} {seen.confidence:.2f}" if seen.state == "tracking" else words


def draw_camera(
    canvas: Canvas, seen: GazeSeen | None, box: tuple[float, float, float, float]
) -> None:
    """The thumbnail with face and eye boxes, fitted into ``box``, and the state under it."""
    x, y, width, height = box
    canvas.draw_rect(box, FRAME, alpha=0.7)
    text_size = max(10, round(height * 0.11))
    picture = (x, y, width, height - text_size - 4)
    if seen is not None and seen.thumbnail is not None:
        thumb_h, thumb_w = seen.thumbnail.shape[:2]
        scale = min(picture[2] / thumb_w, picture[3] / thumb_h)
        w, h = thumb_w * scale, thumb_h * scale
        left, top = x + (picture[2] - w) / 2, y + (picture[3] - h) / 2
        canvas.draw_image(seen.thumbnail, box=(left, top, w, h))
        line = max(1, round(h / 90))
        if seen.face is not None:
            fx, fy, fw, fh = seen.face
            canvas.draw_rect((left + fx * w, top + fy * h, fw * w, fh * h), FACE, width=line)
        for ex, ey, ew, eh in seen.eyes:
            canvas.draw_rect((left + ex * w, top + ey * h, ew * w, eh * h), EYE, width=line)
    label = f"gaze: {describe(seen)}"
    canvas.draw_text(label, (x + 4, y + height - 2), TEXT, size=text_size, anchor="bottomleft")


def draw_point(canvas: Canvas, seen: GazeSeen | None) -> None:
    """Where the visitor looks, as a ring on the canvas (only while tracking)."""
    if seen is None or seen.point is None:
        return
    width, height = canvas.size
    radius = height * 0.025
    centre = (seen.point[0] * width, seen.point[1] * height)
    canvas.draw_circle(centre, radius, POINT, alpha=0.85, width=max(2, round(radius / 5)))
    canvas.draw_circle(centre, max(2.0, radius / 6), POINT, alpha=0.85)
