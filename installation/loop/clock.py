"""Time as an object: the loop, scenes and tests ask a clock, never ``time`` directly.

``RealClock`` reads ``perf_counter``; ``ManualClock`` is stepped by hand (tests and offline
rendering), so a render is deterministic and a test never sleeps.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds since the clock started, and a way to wait until a moment."""

    def now(self) -> float: ...

    def sleep_until(self, moment: float) -> None: ...


class RealClock:
    """Wall-clock time from ``perf_counter``; sleeps, then yields the last stretch for precision."""

    def __init__(self, spin_seconds: float = 0.0015) -> None:
        self._start = time.perf_counter()
        self._spin = spin_seconds

    def now(self) -> float:
        return time.perf_counter() - self._start

    def sleep_until(self, moment: float) -> None:
        remaining = moment - self.now()
        if remaining > self._spin:
            time.sleep(remaining - self._spin)
        # The last ~1.5 ms: sleep(0) yields the GIL to model workers while we wait.
        while self.now() < moment:
            time.sleep(0)


class ManualClock:
    """A clock that only moves when told to: ``sleep_until`` jumps straight to the moment."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    def sleep_until(self, moment: float) -> None:
        self._now = max(self._now, moment)
