"""The director: plays the show's scenes in order and crossfades between them.

A scene with a duration hands over when its time is up; ``NextScene`` hands over at once.
The next scene is activated first and the crossfade starts only when it is ready, so the
screen never goes black while a model warms up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from installation.events import Event, NextScene
from installation.scenes.base import Canvas, Scene

log = logging.getLogger(__name__)


class Director:
    """Holds the playlist and the current/incoming scene; the frame loop calls update and draw."""

    def __init__(
        self,
        scenes: Sequence[Scene],
        durations: Sequence[float],
        crossfade_seconds: float,
        background: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        if not scenes or len(scenes) != len(durations):
            raise ValueError("the director needs one duration per scene and at least one scene")
        self.scenes = list(scenes)
        self.durations = list(durations)
        self.crossfade_seconds = crossfade_seconds
        self.background = background
        self.index = 0
        self._started = 0.0
        self._incoming: int | None = None
        self._fade_started: float | None = None
        self._now = 0.0

    @property
    def current(self) -> Scene:
        return self.scenes[self.index]

    @property
    def fading(self) -> bool:
        return self._fade_started is not None

    def start(self, now: float) -> None:
        self._now = self._started = now
        self.current.activate(now)

    def stop(self) -> None:
        self.current.deactivate()
        if self._incoming is not None and self._incoming != self.index:
            self.scenes[self._incoming].deactivate()

    def update(self, now: float, events: Sequence[Event]) -> None:
        self._now = now
        wants_next = any(isinstance(event, NextScene) for event in events)
        duration = self.durations[self.index]
        if (
            len(self.scenes) > 1
            and self._incoming is None
            and (wants_next or (duration > 0 and now - self._started >= duration))
        ):
            self._incoming = (self.index + 1) % len(self.scenes)
            self.scenes[self._incoming].activate(now)
            log.info("next scene: %s", self.scenes[self._incoming].name)
        self.current.update(now, events)
        if self._incoming is None:
            return
        incoming = self.scenes[self._incoming]
        incoming.update(now, events)
        if self._fade_started is None and incoming.ready():
            self._fade_started = now
        if self._fade_started is not None and self._fade_fraction() >= 1.0:
            self.current.deactivate()
            self.index, self._incoming, self._fade_started = self._incoming, None, None
            self._started = now

    def _fade_fraction(self) -> float:
        if self._fade_started is None:
            return 0.0
        if self.crossfade_seconds <= 0:
            return 1.0
        return min(1.0, (self._now - self._fade_started) / self.crossfade_seconds)

    def draw(self, canvas: Canvas) -> None:
        canvas.clear(self.background)
        self.current.draw(canvas, 1.0)
        if self._incoming is not None and self._fade_started is not None:
            self.scenes[self._incoming].draw(canvas, self._fade_fraction())
