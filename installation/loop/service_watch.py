"""What the frame loop tells the service manager: ready, alive, how it goes, stopping.

``ServiceWatch.presented`` is called by the frame loop after each present, and only there, so
the watchdog's pings stop when the loop stops: a loop hung in a scene's update, a present that
never returns or a deadlock stops the pings, and systemd (``WatchdogSec=``) kills and restarts
the show. No other thread pings. In order:

- ``READY=1`` after the first frame is on screen (models loaded, window open, first keyframe
  shown), with a first ``STATUS``;
- ``WATCHDOG=1`` every ``min(1 s, watchdog / 4)``: a quarter, so that even a late frame or two
  keep within the half that systemd asks for;
- ``STATUS=scene NAME, FPS fps, ok`` (or the last error logged in the last 10 minutes) every
  ``status_seconds``, in the same datagram as a ping;
- ``STOPPING=1`` when the loop has ended, before the shutdown joins workers.

On a frame with nothing due it costs one comparison.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

PING_EVERY_AT_MOST = 1.0
"""Seconds between pings even when the watchdog is long: a datagram a second costs nothing."""
PROBLEM_SHOWN_FOR = 600.0
"""An error stays in the status line this long after it was logged."""


class Notifier(Protocol):
    """The service manager's side (``outputs/systemd_notify.py``, or a fake in tests)."""

    @property
    def watchdog_seconds(self) -> float | None: ...

    def ready(self, status: str) -> None: ...

    def watchdog(self, status: str | None = None) -> None: ...

    def status(self, status: str) -> None: ...

    def stopping(self, status: str) -> None: ...


class LastProblem(logging.Handler):
    """Remembers the last ERROR logged under ``installation`` (from any thread), for the
    status line; one short line, so memory stays flat however many errors come."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(logging.ERROR)
        self._clock = clock
        self._last: tuple[float, str] | None = None  # replaced whole: no lock needed to read

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = (record.getMessage().splitlines() or [record.levelname])[0]
        except Exception:  # a bad format string must not break logging
            text = str(record.msg)
        self._last = (self._clock(), text[:80])

    def describe(self) -> str:
        last = self._last
        if last is None:
            return "ok"
        age = self._clock() - last[0]
        if age > PROBLEM_SHOWN_FOR:
            return "ok"
        return f"error {age:.0f} s ago: {last[1]}"


class ServiceWatch:
    """Turns presented frames into notify messages (see the module's docstring)."""

    def __init__(
        self,
        notifier: Notifier,
        scene: Callable[[], str],
        problem: Callable[[], str] = lambda: "ok",
        status_seconds: float = 3.0,
    ) -> None:
        self.notifier = notifier
        self._scene = scene
        self._problem = problem
        self.status_seconds = status_seconds
        watchdog = notifier.watchdog_seconds
        self.ping_seconds = None if watchdog is None else min(PING_EVERY_AT_MOST, watchdog / 4)
        """Seconds between ``WATCHDOG=1`` pings (None: systemd set no watchdog)."""
        self.ready = False
        self._next = -math.inf  # the next moment something is due: READY on the first frame
        self._next_ping = math.inf
        self._next_status = math.inf
        self._status_at = 0.0
        self._status_frames = 0
        self._thread: int | None = None  # the frame loop's, once it has run

    def presented(self, now: float, frames: int) -> None:
        """After each present (``now`` on the loop's clock; ``frames`` presented so far)."""
        if now < self._next:
            return
        if not self.ready:
            self.ready = True
            self._thread = threading.get_ident()
            self.notifier.ready(self._line("first frame on screen"))
            self._status_at, self._status_frames = now, frames
            self._next_status = now + self.status_seconds
        else:
            assert threading.get_ident() == self._thread, "only the frame loop pings"
            status = None
            if now >= self._next_status:
                fps = (frames - self._status_frames) / max(now - self._status_at, 1e-9)
                status = self._line(f"{fps:.1f} fps")
                self._status_at, self._status_frames = now, frames
                self._next_status = now + self.status_seconds
            if self.ping_seconds is not None:
                self.notifier.watchdog(status)
            elif status is not None:
                self.notifier.status(status)
        if self.ping_seconds is not None:
            self._next_ping = now + self.ping_seconds
        self._next = min(self._next_ping, self._next_status)

    def stopping(self, reason: str | None) -> None:
        """Once the loop has ended (or failed): systemd stops watching, shutdown begins."""
        self.notifier.stopping(f"stopping: {reason or 'error'}")

    def _line(self, how: str) -> str:
        return f"scene {self._scene()}, {how}, {self._problem()}"
