"""The frame loop: events in, director update and draw, present, pace. Nothing else.

It runs on the main thread and never waits on a model, the network, the camera or the disk:
models run on their workers, inputs post to the queue, outputs take work from queues.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from installation.events import Event, EventQueue, EventSink, QuitRequested
from installation.loop.clock import Clock
from installation.loop.pacer import FramePacer
from installation.loop.stats import RunStats
from installation.scenes.base import Canvas


class Screen(Canvas, Protocol):
    """A canvas that can also be shown and asked for window events."""

    def poll_events(self) -> list[Event]: ...

    def present(self) -> None: ...


class Stage(Protocol):
    """What the loop drives each frame (the director)."""

    def update(self, now: float, events: Sequence[Event]) -> None: ...

    def draw(self, canvas: Canvas) -> None: ...


class FrameRunner:
    """Runs frames until asked to quit or ``seconds`` have passed."""

    def __init__(
        self,
        screen: Screen,
        stage: Stage,
        events: EventQueue,
        clock: Clock,
        stats: RunStats,
        sinks: Sequence[EventSink] = (),
    ) -> None:
        self.sinks = list(sinks)
        self.screen = screen
        self.stage = stage
        self.events = events
        self.clock = clock
        self.stats = stats
        self.quit_reason: str | None = None

    def run(self, seconds: float | None = None) -> None:
        pacer = FramePacer(self.clock, self.stats.fps_target)
        started = self.clock.now()
        last_present: float | None = None
        while True:
            cpu_start = time.thread_time()
            for event in self.screen.poll_events():
                self.events.post(event)
            frame_events = self.events.drain()
            quit_event = next((e for e in frame_events if isinstance(e, QuitRequested)), None)
            if quit_event is not None:
                self.quit_reason = quit_event.reason
                break
            self.stage.update(self.clock.now(), frame_events)
            for sink in self.sinks:
                for event in frame_events:
                    sink.handle(event)
            self.stage.draw(self.screen)
            self.screen.present()
            presented = self.clock.now()
            interval = None if last_present is None else (presented - last_present) * 1000.0
            self.stats.frame(interval, (time.thread_time() - cpu_start) * 1000.0)
            last_present = presented
            if seconds is not None and presented - started >= seconds:
                self.quit_reason = f"{seconds:g} s elapsed"
                break
            pacer.wait()
        self.stats.duration_s = self.clock.now() - started
