"""The calibration sequence: which target is shown at each camera frame, and which frames are
samples of the visitor looking at a known point.

Driven by camera frames, not the clock: step ``n`` is the ``n``-th camera frame since the
sequence began (for a video file, its frame number), so a recording replays exactly.

- ``click`` (the reference approach): each target waits for a click (pynput's mouse
  listener) or Space; the next ``sample_frames`` frames are its samples.
- ``follow`` (kiosks without a mouse): the dot glides slowly from target to target and rests
  at each; frames at rest (after ``settle_frames``) are samples, and so are frames of the
  glide, paired with where the dot was ``lag_frames`` earlier (the eyes follow with a lag).

Both end with held-out *validation* targets that are never fitted on: their error is the
calibration's honest figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Mode = Literal["click", "follow"]
Role = Literal["calibrate", "validate"]
Point = tuple[float, float]

CALIBRATION_TARGETS: tuple[Point, ...] = (
    (0.5, 0.5),
    (0.08, 0.1),
    (0.5, 0.1),
    (0.92, 0.1),
    (0.92, 0.5),
    (0.92, 0.9),
    (0.5, 0.9),
    (0.08, 0.9),
    (0.08, 0.5),
    (0.29, 0.3),
    (0.71, 0.3),
    (0.71, 0.7),
    (0.29, 0.7),
)
"""A 3x3 grid reaching near the edges (trackers snap to the centre there) and four between."""
VALIDATION_TARGETS: tuple[Point, ...] = (
    (0.2, 0.3),
    (0.8, 0.25),
    (0.62, 0.55),
    (0.35, 0.8),
    (0.85, 0.78),
)
"""Points that are not calibration targets, spread over the screen."""


@dataclass(frozen=True)
class PlanStep:
    """What one camera frame is: the dot shown, and the sample it gives (if any).

    ``sample`` is where the visitor is taken to look (None: no sample, e.g. eyes travelling);
    ``target`` counts targets (samples of one target share it); ``progress`` is in [0, 1].
    """

    shown: Point
    sample: Point | None
    role: Role | None
    target: int
    progress: float
    waiting_for_click: bool = False
    done: bool = False


def _ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, t)))


class CalibrationPlan:
    """The sequence for one calibration (see module docstring)."""

    def __init__(
        self,
        mode: Mode = "click",
        *,
        settle_frames: int = 15,
        sample_frames: int = 20,
        glide_frames: int = 45,
        lag_frames: int = 4,
        calibration: tuple[Point, ...] = CALIBRATION_TARGETS,
        validation: tuple[Point, ...] = VALIDATION_TARGETS,
    ) -> None:
        self.mode = mode
        self.settle = settle_frames
        self.samples = sample_frames
        self.glide = glide_frames
        self.lag = lag_frames
        self.targets: list[tuple[Point, Role]] = [(p, "calibrate") for p in calibration]
        self.targets += [(p, "validate") for p in validation]
        self._index = 0
        self._clicked_at: int | None = None
        self._clicks = 0

    @property
    def target_count(self) -> int:
        return len(self.targets)

    def step(self, frame: int, clicks: int = 0) -> PlanStep:
        """The step for camera frame ``frame`` (0 = first); ``clicks`` counts clicks so far."""
        if self.mode == "follow":
            return self._follow(frame)
        return self._click(frame, clicks)

    # click mode ----------------------------------------------------------------------------

    def _click(self, frame: int, clicks: int) -> PlanStep:
        if self._index >= len(self.targets):
            return self._done()
        point, role = self.targets[self._index]
        progress = self._index / len(self.targets)
        if self._clicked_at is None:
            if clicks > self._clicks:
                self._clicks, self._clicked_at = clicks, frame
            else:
                return PlanStep(point, None, None, self._index, progress, waiting_for_click=True)
        taken = frame - self._clicked_at
        if taken >= self.samples:
            self._index += 1
            self._clicked_at = None
            self._clicks = clicks  # clicks during sampling do not skip the next target
            return self._click(frame, clicks)
        return PlanStep(point, point, role, self._index, progress)

    # follow mode ---------------------------------------------------------------------------

    def _follow_segment(self, index: int) -> int:
        """Frames target ``index`` takes: a glide to it (after the first), then a rest."""
        glide = self.glide if index > 0 else 0
        return glide + self.settle + self.samples

    def follow_frames(self) -> int:
        """How many camera frames the whole follow sequence takes."""
        return sum(self._follow_segment(i) for i in range(len(self.targets)))

    def _follow(self, frame: int) -> PlanStep:
        start = 0
        for index, (point, role) in enumerate(self.targets):
            length = self._follow_segment(index)
            if frame < start + length:
                progress = index / len(self.targets)
                offset = frame - start
                glide = self.glide if index > 0 else 0
                if offset < glide:
                    shown = self._glide_point(index, offset)
                    lagged = self._glide_point(index, offset - self.lag)
                    # Validation holds still: only glides between calibration targets sample.
                    sample = lagged if role == "calibrate" and offset >= self.lag else None
                    return PlanStep(shown, sample, role if sample else None, index, progress)
                if offset < glide + self.settle:
                    return PlanStep(point, None, None, index, progress)
                return PlanStep(point, point, role, index, progress)
            start += length
        return self._done()

    def _glide_point(self, index: int, offset: int) -> Point:
        (x0, y0), _ = self.targets[index - 1]
        (x1, y1), _ = self.targets[index]
        t = _ease(offset / self.glide)
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t

    def _done(self) -> PlanStep:
        last, _ = self.targets[-1]
        return PlanStep(last, None, None, len(self.targets), 1.0, done=True)


def degrees_between(
    a: Point, b: Point, width_cm: float, height_cm: float, distance_cm: float
) -> float:
    """The visual angle between two screen points (in [0, 1]^2) for eyes in front of the
    screen's centre at ``distance_cm``."""
    ax, ay = (a[0] - 0.5) * width_cm, (a[1] - 0.5) * height_cm
    bx, by = (b[0] - 0.5) * width_cm, (b[1] - 0.5) * height_cm
    dot = ax * bx + ay * by + distance_cm * distance_cm
    norm = math.hypot(ax, ay, distance_cm) * math.hypot(bx, by, distance_cm)
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / norm))))
