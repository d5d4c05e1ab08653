"""The frame loop: poll inputs, events in, director update and draw, pace, present. Nothing else.

It runs on the main thread and never waits on a model, the network, the camera or the disk:
models run on their workers, input threads post to the queue, outputs take work from the
output bus into their own queues. Sources that must be read on the main thread (SDL's event
queue) are polled here once per frame.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from installation.canvas import Canvas, Rect
from installation.events import (
    DeviceChanged,
    Event,
    EventQueue,
    QuitRequested,
    ShowHeartbeat,
    ToggleOverlay,
)
from installation.inputs.base import InputSource
from installation.loop.clock import Clock
from installation.loop.pacer import FramePacer
from installation.loop.service_watch import ServiceWatch
from installation.loop.stats import RunStats
from installation.throttled_log import ThrottledLog

log = logging.getLogger(__name__)


class Screen(Canvas, Protocol):
    """A canvas that can also be shown."""

    def present(self) -> None: ...


class Stage(Protocol):
    """What the loop drives each frame (the director)."""

    def update(self, now: float, events: Sequence[Event]) -> None: ...

    def draw(self, canvas: Canvas) -> None: ...

    def keep_clear(self, size: tuple[int, int]) -> Sequence[Rect]:
        """Where the overlay must not draw (headlines, a result card over the rainbow)."""
        ...


class Overlay(Protocol):
    """Drawn over the stage when visible (the stats overlay)."""

    visible: bool

    def toggle(self) -> None: ...

    def frame(self, interval_ms: float | None) -> None: ...

    def saw(self, events: Sequence[Event], now: float) -> None: ...

    def draw(self, canvas: Canvas, now: float, keep_clear: Sequence[Rect] = ()) -> None: ...


class FrameCapture(Protocol):
    """Takes some finished frames (periodic posts): asked each frame, after the stage is drawn
    and before the overlay, whether it wants this one; ``take`` must only grab, not encode."""

    def wanted(self, now: float) -> bool: ...

    def take(self, now: float) -> None: ...


class FrameRunner:
    """Runs frames until asked to quit or ``seconds`` have passed."""

    def __init__(
        self,
        screen: Screen,
        stage: Stage,
        events: EventQueue,
        clock: Clock,
        stats: RunStats,
        polled: Sequence[InputSource] = (),
        overlay: Overlay | None = None,
        publish: Callable[[Event], None] | None = None,
        presented: Callable[[float], None] | None = None,
        heartbeat_seconds: float = 1.0,
        capture: FrameCapture | None = None,
        service: ServiceWatch | None = None,
    ) -> None:
        self.screen = screen
        self.stage = stage
        self.events = events
        self.clock = clock
        self.stats = stats
        self.polled = list(polled)
        self.overlay = overlay
        self.quit_reason: str | None = None
        self.publish = publish
        """Where the loop's own output events go (the output bus): a ``ShowHeartbeat`` a beat."""
        self.presented = presented
        """Called with ``perf_counter`` after each present (stats time triggers to it)."""
        self.heartbeat_seconds = heartbeat_seconds
        self.capture = capture
        self.service = service
        """Told of each presented frame (systemd's READY and watchdog) and of the loop's end."""
        self._beat_at = 0.0
        self._beat_frames = 0
        self._late_log = ThrottledLog(log, interval=60.0)

    def run(self, seconds: float | None = None) -> None:
        try:
            self._frames(seconds)
        finally:
            if self.service is not None:
                self.service.stopping(self.quit_reason)

    def _frames(self, seconds: float | None) -> None:
        pacer = FramePacer(self.clock, self.stats.fps_target)
        started = self.clock.now()
        self._beat_at, self._beat_frames = started, 0
        last_present: float | None = None
        while True:
            if last_present is not None:
                pacer.wait_to_start()  # just in time: ``lead`` before the deadline
            cpu_start = time.thread_time()
            work_start = self.clock.now()
            # The frame depicts the moment it is presented: its deadline.
            now = work_start if last_present is None else max(work_start, pacer.deadline)
            for source in self.polled:
                source.poll(now)
            frame_events = self.events.drain()
            if self._quit(frame_events):
                break
            self._note(frame_events, now)
            self.stage.update(now, frame_events)
            self.stage.draw(self.screen)
            if self.capture is not None and self.capture.wanted(now):
                grab_start = time.perf_counter()
                self.capture.take(now)
                self.stats.time("frame_capture", (time.perf_counter() - grab_start) * 1000.0)
                self.stats.count("frames_captured")
            if self.overlay is not None and self.overlay.visible:
                keep_clear = self.stage.keep_clear(self.screen.size)
                self.overlay.draw(self.screen, now, keep_clear)
            pacer.worked(self.clock.now() - work_start)
            cpu_seconds = time.thread_time() - cpu_start
            if last_present is not None:
                pacer.wait()  # present on the deadline, whatever the frame's work took
            cpu_start = time.thread_time()  # the wait (it spins its last moment) is not work
            self.screen.present()
            presented = self.clock.now()
            if self.presented is not None:
                self.presented(time.perf_counter())  # triggers carry perf_counter times
            interval = None if last_present is None else (presented - last_present) * 1000.0
            cpu_ms = (cpu_seconds + time.thread_time() - cpu_start) * 1000.0
            self.stats.frame(interval, cpu_ms)
            if self.service is not None:
                self.service.presented(presented, self.stats.frames)
            if interval is not None and interval > self.stats.late_limit_ms:
                self._late_log.warning(
                    "late",
                    "frame %d late: %.1f ms since the last (work %.1f ms, of it CPU %.1f ms; "
                    "lead %.1f ms)",
                    self.stats.frames,
                    interval,
                    (presented - work_start) * 1000.0,
                    cpu_ms,
                    pacer.lead * 1000.0,
                )
            if self.overlay is not None:
                self.overlay.frame(interval)
            if self.publish is not None and presented - self._beat_at >= self.heartbeat_seconds:
                self._heartbeat(presented, started)
            last_present = presented
            if seconds is not None and presented - started >= seconds:
                self.quit_reason = f"{seconds:g} s elapsed"
                break
        self.stats.duration_s = self.clock.now() - started

    def _heartbeat(self, now: float, started: float) -> None:
        """Once a beat: frames, fps over the beat and counters, for OSC out and the like."""
        assert self.publish is not None
        frames = self.stats.frames
        fps = (frames - self._beat_frames) / max(now - self._beat_at, 1e-9)
        self._beat_at, self._beat_frames = now, frames
        late, counters = self.stats.late_frames, self.stats.counters()
        self.publish(ShowHeartbeat(frames, fps, late, now - started, counters))

    def _quit(self, events: Sequence[Event]) -> bool:
        for event in events:
            if isinstance(event, QuitRequested):
                self.quit_reason = event.reason
                return True
        return False

    def _note(self, events: Sequence[Event], now: float) -> None:
        """What the loop itself does with input events: overlay toggles, device counters."""
        if not events:
            return
        for event in events:
            if isinstance(event, ToggleOverlay) and self.overlay is not None:
                self.overlay.toggle()
            elif isinstance(event, DeviceChanged):
                self.stats.count("devices_connected" if event.connected else "devices_removed")
        if self.overlay is not None:
            self.overlay.saw(events, now)
