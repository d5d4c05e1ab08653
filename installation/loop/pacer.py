"""Pacing to absolute deadlines: frame k is due at start + k / fps.

Sleeping a fixed budget after each frame drifts (every frame's jitter adds up); absolute
deadlines do not. After a stall longer than a frame the schedule restarts from now instead
of rushing frames out to catch up.
"""

from __future__ import annotations

from installation.loop.clock import Clock


class FramePacer:
    """Waits until the next frame's deadline on the given clock."""

    def __init__(self, clock: Clock, fps: float) -> None:
        self._clock = clock
        self.budget = 1.0 / fps
        self._next = clock.now() + self.budget
        self.resyncs = 0

    def wait(self) -> None:
        """Block until the next deadline (or return at once if it has passed)."""
        now = self._clock.now()
        if now > self._next + self.budget:
            # More than a whole frame behind: drop the backlog rather than burst.
            self._next = now + self.budget
            self.resyncs += 1
            return
        self._clock.sleep_until(self._next)
        self._next += self.budget
