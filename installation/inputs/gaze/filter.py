"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) for a steady, responsive gaze point.

A low-pass filter whose cutoff rises with the point's speed: a still gaze is smoothed hard
(no jitter), a saccade to another part of the screen is followed at once (little lag). The
algorithm is a dozen lines; the PyPI ports of it are unmaintained single files, so it is
written here, after the paper.
"""

from __future__ import annotations

import math


def _smoothing(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters one value sampled at irregular times (seconds)."""

    def __init__(self, min_cutoff_hz: float, beta: float, derivative_cutoff_hz: float = 1.0):
        self.min_cutoff = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff_hz
        self._value: float | None = None
        self._speed = 0.0
        self._time = 0.0

    def reset(self) -> None:
        self._value = None
        self._speed = 0.0

    def __call__(self, value: float, now: float) -> float:
        if self._value is None or now <= self._time:
            if self._value is None:
                self._value, self._time = value, now
            return self._value
        dt = now - self._time
        speed = (value - self._value) / dt
        self._speed += _smoothing(self.derivative_cutoff, dt) * (speed - self._speed)
        cutoff = self.min_cutoff + self.beta * abs(self._speed)
        self._value += _smoothing(cutoff, dt) * (value - self._value)
        self._time = now
        return self._value


class PointFilter:
    """A One Euro filter for each coordinate of a screen point."""

    def __init__(self, min_cutoff_hz: float, beta: float) -> None:
        self._x = OneEuroFilter(min_cutoff_hz, beta)
        self._y = OneEuroFilter(min_cutoff_hz, beta)

    def reset(self) -> None:
        self._x.reset()
        self._y.reset()

    def __call__(self, x: float, y: float, now: float) -> tuple[float, float]:
        return self._x(x, now), self._y(y, now)
