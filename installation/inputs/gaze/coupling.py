"""From a gaze point to show events, following ``[controls.gaze]`` (part of the control map).

While a visitor is tracked, the smoothed point steers the named scenes (``PointAt``: the
rainbow's latent plane, the lava lamp's stirring), sets the parameters bound to ``x`` and
``y``, and a look held still (within ``dwell_radius`` for ``dwell_seconds``) does the dwell
action once, then not again for the cooldown. When nobody is looking nothing is sent, and the
scenes go back to their own motion by themselves (each eases out of steering over its
``steer_seconds``).
"""

from __future__ import annotations

import math

from installation.config.schema import AxisBinding, GazeControls
from installation.events import Event, InputReceived, PointAt, SetParameter
from installation.inputs.controls import action_event

_PARAMETER_STEP = 0.005
"""A bound parameter is set again when it moved by this share of its range (not every frame)."""


class GazeCoupling:
    """Translates a gaze point into events; ``aspect`` is the screen's width / height."""

    def __init__(self, controls: GazeControls, aspect: float = 16 / 9) -> None:
        self.controls = controls
        self.aspect = aspect
        self._dwell_at: tuple[float, float] | None = None
        self._dwell_since = 0.0
        self._quiet_until = -math.inf
        self._sent: dict[str, float] = {}
        self.dwells = 0

    def lost(self) -> None:
        """Nobody is looking: a dwell starts over when someone is."""
        self._dwell_at = None

    def update(self, x: float, y: float, now: float) -> list[Event]:
        """Events for a tracked gaze point (x, y) in [0, 1]^2 at time ``now`` (seconds)."""
        controls = self.controls
        events: list[Event] = []
        if controls.steer:
            scenes: tuple[str | None, ...] = controls.point or (None,)
            events += [PointAt(x, y, scene=scene, source="gaze") for scene in scenes]
        for axis, value, binding in (("x", x, controls.x), ("y", y, controls.y)):
            if binding is not None:
                events += self._parameter(axis, value, binding)
        events += self._dwell(x, y, now)
        return events

    def _parameter(self, axis: str, value: float, binding: AxisBinding) -> list[Event]:
        target = binding.low + value * (binding.high - binding.low)
        span = abs(binding.high - binding.low) or 1.0
        last = self._sent.get(axis)
        if last is not None and abs(target - last) < _PARAMETER_STEP * span:
            return []
        self._sent[axis] = target  # bounded: one entry per axis
        return [SetParameter(binding.parameter, target, scene=binding.scene, source="gaze")]

    def _dwell(self, x: float, y: float, now: float) -> list[Event]:
        anchor = self._dwell_at
        if anchor is None or self._distance(anchor, (x, y)) > self.controls.dwell_radius:
            self._dwell_at, self._dwell_since = (x, y), now
            return []
        if now - self._dwell_since < self.controls.dwell_seconds or now < self._quiet_until:
            return []
        self._dwell_since = now
        self._quiet_until = now + self.controls.dwell_cooldown_seconds
        event = action_event(self.controls.dwell_action, "gaze", "dwell")
        if event is None:
            return []
        self.dwells += 1
        return [InputReceived("gaze", f"dwell at ({x:.2f}, {y:.2f})"), event]

    def _distance(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        """In shares of the screen's width (y is scaled by the screen's height / width)."""
        return math.hypot(a[0] - b[0], (a[1] - b[1]) / self.aspect)
