"""The stats overlay: what an operator checks on the running show, toggled by a control.

A translucent panel in the top-left corner shows the fps measured over about the last second,
a sparkline of the last frame intervals (late ones in a warning colour, a faint line at the
frame budget), the execution provider of each model, and the last input the show received.
With a camera, a second panel in the top-right corner shows the camera's view with the face
and eyes found, the gaze state, and a ring where the visitor looks (``gaze_panel.py``).
Neither covers what the show keeps clear (``Scene.keep_clear``, ``Card.keep_clear``: the stage
game's headline, a game's result card over its rainbow): a panel takes the first corner free of
it (the stats panel the top left, then the bottom left; the camera panel the top right, then
the bottom right; then the other side).
It draws only through ``Canvas`` calls, scaled to the canvas height, so it reads the same at
960x540 and at 1920x1080; its memory is fixed (a ring buffer of intervals), and ``draw`` costs
a handful of canvas calls: bars of equal height are merged into one rectangle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from installation.canvas import Canvas, Colour, Rect
from installation.events import DeviceChanged, Event, GazeSeen, InputReceived
from installation.loop.gaze_panel import draw_camera, draw_point

PANEL: Colour = (0, 0, 0)
PANEL_ALPHA = 0.62
TEXT: Colour = (236, 236, 236)
DIM: Colour = (160, 164, 170)
BAR: Colour = (96, 184, 255)
WARNING: Colour = (255, 92, 64)
BUDGET_LINE: Colour = (255, 255, 255)

LATE_FACTOR = 1.5
"""A frame is late when its interval exceeds this times the frame budget (as in the stats)."""

_REFERENCE_HEIGHT = 540  # the panel's sizes below are canvas pixels at this canvas height
Corner = Literal["topleft", "bottomleft", "topright", "bottomright"]
STATS_CORNERS: tuple[Corner, ...] = ("topleft", "bottomleft", "topright", "bottomright")
CAMERA_CORNERS: tuple[Corner, ...] = ("topright", "bottomright", "topleft", "bottomleft")
_FPS_WINDOW_MS = 1000.0
_LONGEST_INPUT = 34  # characters of an input's description before it is cut short


def _age(seconds: float) -> str:
    """'2.1 s ago', '5 min ago', '3.2 h ago', '12 days ago': short at any age."""
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.1f} s ago"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds // 86400:.0f} days ago"


def _short_provider(provider: str) -> str:
    name = provider.removesuffix("ExecutionProvider")
    return name or provider


def _overlap(a: Rect, b: Rect) -> float:
    """The area two rectangles share (0 when they only touch)."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


def place(
    panel: tuple[float, float],
    canvas: tuple[int, int],
    margin: float,
    corners: Sequence[Corner],
    keep_clear: Sequence[Rect] = (),
) -> Rect:
    """A panel's rectangle in the first of ``corners`` where it covers nothing in
    ``keep_clear``; where every corner covers something, the corner that covers least."""
    width, height = panel
    boxes: list[Rect] = []
    for corner in corners:
        x = margin if corner.endswith("left") else canvas[0] - width - margin
        y = margin if corner.startswith("top") else canvas[1] - height - margin
        box = (x, y, width, height)
        if not any(_overlap(box, rect) > 0 for rect in keep_clear):
            return box
        boxes.append(box)
    return min(boxes, key=lambda box: sum(_overlap(box, rect) for rect in keep_clear))


def _fps(intervals: NDArray[np.float64]) -> float | None:
    if not len(intervals):
        return None
    elapsed = np.cumsum(intervals[::-1])
    frames = min(int(np.searchsorted(elapsed, _FPS_WINDOW_MS)) + 1, len(intervals))
    total = float(elapsed[frames - 1])
    return frames * 1000.0 / total if total > 0 else None


class StatsOverlay:
    """Frame timing, execution providers and the last input, drawn over the show on demand.

    The frame loop calls ``frame`` once per frame with the interval since the previous one,
    ``saw`` with each frame's input events, and ``draw`` after the stage while ``visible``.
    """

    def __init__(self, fps_target: float, providers: Mapping[str, str], history: int = 150) -> None:
        if fps_target <= 0:
            raise ValueError(f"fps_target must be positive, not {fps_target}")
        if history < 2:
            raise ValueError(f"history must hold at least 2 frames, not {history}")
        self.fps_target = fps_target
        self.budget_ms = 1000.0 / fps_target
        self.providers = {name: _short_provider(p) for name, p in providers.items()}
        self.history = history
        self.visible = False
        self._intervals = np.zeros(history, dtype=np.float64)
        self._next = 0
        self._count = 0
        self._last_input: str | None = None
        self._last_input_at = 0.0
        self._gaze: GazeSeen | None = None
        """The camera's newest view (shows with a camera only): thumbnail, eyes, point."""

    def toggle(self) -> None:
        self.visible = not self.visible

    def warm_up(self, canvas: Canvas) -> None:
        """Draw once, hidden from view, before the show starts (the next frame clears it).

        The first draw loads the font and renders each text; done on the first press of the
        overlay control it would cost that frame (110 ms measured under Xvfb).
        """
        visible, self.visible = self.visible, True
        try:
            self.draw(canvas, 0.0)
        finally:
            self.visible = visible

    def frame(self, interval_ms: float | None) -> None:
        """Record one frame's interval; ``None`` (the first frame) has none to record."""
        if interval_ms is None:
            return
        self._intervals[self._next] = interval_ms
        self._next = (self._next + 1) % self.history
        self._count = min(self._count + 1, self.history)

    def saw(self, events: Sequence[Event], now: float) -> None:
        """Remember the newest input or device change among ``events`` as the last input,
        and the newest gaze view."""
        for event in reversed(events):
            if isinstance(event, GazeSeen):
                self._gaze = event
                break
        for event in reversed(events):
            if isinstance(event, InputReceived):
                self._remember(f"{event.source}: {event.what}", now)
                return
            if isinstance(event, DeviceChanged):
                state = "connected" if event.connected else "disconnected"
                self._remember(f"{event.source}: {event.device} {state}", now)
                return

    def _remember(self, description: str, now: float) -> None:
        if len(description) > _LONGEST_INPUT:
            description = description[: _LONGEST_INPUT - 3] + "..."
        self._last_input = description
        self._last_input_at = now

    def recent(self) -> NDArray[np.float64]:
        """The recorded intervals in ms, oldest first (at most ``history``)."""
        if self._count < self.history:
            return self._intervals[: self._count].copy()
        return np.concatenate((self._intervals[self._next :], self._intervals[: self._next]))

    def measured_fps(self) -> float | None:
        """Frames per second over the newest intervals that add up to about a second."""
        return _fps(self.recent())

    def last_input(self, now: float) -> str:
        """How long ago, then what: the age first, so a line cut to fit keeps it."""
        if self._last_input is None:
            return "none yet"
        return f"{_age(now - self._last_input_at)}: {self._last_input}"

    def draw(self, canvas: Canvas, now: float, keep_clear: Sequence[Rect] = ()) -> None:
        """The panels, clear of ``keep_clear`` (what the scenes on screen keep clear)."""
        if not self.visible:
            return
        u = canvas.size[1] / _REFERENCE_HEIGHT
        pad = 10 * u
        width = 300 * u
        big, small = round(20 * u), round(14 * u)
        spark_height = 40 * u
        rows = len(self.providers) + 1
        height = pad + big + 8 * u + spark_height + 6 * u + small + 8 * u + rows * (small + 4 * u)
        margin = 12 * u
        panel = place((width, height), canvas.size, margin, STATS_CORNERS, keep_clear)
        left, top = panel[0], panel[1]
        canvas.draw_rect(panel, PANEL, alpha=PANEL_ALPHA)
        x = left + pad
        inner = width - 2 * pad
        y = top + pad

        intervals = self.recent()
        fps = _fps(intervals)
        fps_text = "-- fps" if fps is None else f"{fps:.1f} fps"
        canvas.draw_text(fps_text, (x, y), TEXT, size=big)
        canvas.draw_text(
            f"target {self.fps_target:g}",
            (x + inner, y + big),
            DIM,
            size=small,
            anchor="bottomright",
        )
        y += big + 8 * u

        self._draw_sparkline(canvas, intervals, (x, y, inner, spark_height))
        y += spark_height + 6 * u
        if len(intervals):
            late = int(np.count_nonzero(intervals > LATE_FACTOR * self.budget_ms))
            summary = f"max {intervals.max():.0f} ms, {late} late of {len(intervals)}"
        else:
            summary = "no frames yet"
        canvas.draw_text(summary, (x, y), DIM, size=small)
        y += small + 8 * u

        for name, provider in self.providers.items():
            canvas.draw_text(f"{name}: {provider}", (x, y), TEXT, size=small, max_width=inner)
            y += small + 4 * u
        line = f"input {self.last_input(now)}" if self._last_input else "input: none yet"
        canvas.draw_text(line, (x, y), TEXT, size=small, max_width=inner)
        if self._gaze is not None:
            clear = [*keep_clear, panel]
            box = place((200 * u, 172 * u), canvas.size, margin, CAMERA_CORNERS, clear)
            draw_camera(canvas, self._gaze, box)
            draw_point(canvas, self._gaze)

    def _draw_sparkline(
        self, canvas: Canvas, intervals: NDArray[np.float64], box: tuple[float, float, float, float]
    ) -> None:
        x, y, width, height = box
        # Bars reach the top at twice the budget, so the budget line sits half-way up.
        budget_y = y + height / 2
        if len(intervals):
            self._draw_bars(canvas, intervals, box)
        # Over the bars, so it stays visible where they reach it.
        line_width = max(1, round(height / 40))
        canvas.draw_line(
            (x, budget_y), (x + width, budget_y), BUDGET_LINE, alpha=0.5, width=line_width
        )

    def _draw_bars(
        self, canvas: Canvas, intervals: NDArray[np.float64], box: tuple[float, float, float, float]
    ) -> None:
        x, y, width, height = box
        top_ms = 2 * self.budget_ms
        step = width / self.history
        # Newest at the right edge; bars fill leftwards as the history fills.
        start = x + width - len(intervals) * step
        heights = np.rint(np.clip(intervals / top_ms, 0.0, 1.0) * height).astype(np.int64)
        late = intervals > LATE_FACTOR * self.budget_ms
        # One rectangle per run of equal height and lateness: a steady show is a few runs.
        change = np.flatnonzero((np.diff(heights) != 0) | (np.diff(late) != 0)) + 1
        bounds = np.concatenate(([0], change, [len(heights)]))
        bottom = y + height
        for first, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            bar = int(heights[first])
            if bar <= 0:
                continue
            colour = WARNING if late[first] else BAR
            left = start + first * step
            canvas.draw_rect((left, bottom - bar, (end - first) * step, bar), colour)
