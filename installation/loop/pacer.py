"""Pacing to absolute deadlines: frame k is presented at start + k / fps.

Sleeping a fixed budget after each frame drifts (every frame's jitter adds up); absolute
deadlines do not. After a stall longer than a frame the schedule restarts from now instead
of rushing frames out to catch up.

Each frame is drawn *just in time*: its work starts ``lead`` seconds before its deadline and
the finished frame is presented on the deadline. How long a frame takes to draw varies (a
model's keyframe arrives, a fade begins, the other core is busy); presenting on the deadline
keeps that variation out of the cadence the audience sees, and starting only ``lead`` early
keeps the latency from an input to the screen small. ``lead`` follows the slowest frame of
the last ten seconds (a fixed-size window) plus a margin.
"""

from __future__ import annotations

from collections import deque

from installation.loop.clock import Clock

LEAD_WINDOW_SECONDS = 10.0
"""The lead is taken from the frames of the last this many seconds: long enough to remember
the slow frames of a periodic event (a reveal every few seconds) until it comes again."""
LEAD_MARGIN = 0.003
"""Seconds added to the slowest recent frame's work time."""
MAX_LEAD_BUDGETS = 0.75
"""The lead never exceeds this share of a frame budget."""


class FramePacer:
    """Waits for the moment to start a frame's work and for its deadline on the given clock."""

    def __init__(self, clock: Clock, fps: float) -> None:
        self._clock = clock
        self.budget = 1.0 / fps
        self._next = clock.now() + self.budget
        self.window = max(1, round(LEAD_WINDOW_SECONDS * fps))
        self._work: deque[float] = deque(maxlen=self.window)
        self.resyncs = 0

    @property
    def deadline(self) -> float:
        """When the next frame is presented: the show time it should depict."""
        return self._next

    @property
    def lead(self) -> float:
        """How long before its deadline a frame's work starts."""
        slowest = max(self._work, default=0.0)
        return min(slowest + LEAD_MARGIN, MAX_LEAD_BUDGETS * self.budget)

    def worked(self, seconds: float) -> None:
        """Record how long the last frame's work took (from its start to before presenting)."""
        self._work.append(max(0.0, seconds))

    def wait_to_start(self) -> None:
        """Block until it is time to start the next frame's work (``lead`` before its deadline)."""
        start = self._next - self.lead
        if self._clock.now() < start:
            self._clock.sleep_until(start)

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
