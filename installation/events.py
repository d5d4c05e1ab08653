"""Events: frozen dataclasses that input threads post and the frame loop drains.

Inputs, scenes and outputs never call each other; they meet here. The queue is safe to
post to from any thread and never blocks the poster.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True)
class QuitRequested(Event):
    """The operator asked the show to stop (Escape, window close, signal)."""

    reason: str = "requested"


@dataclass(frozen=True)
class KeyPressed(Event):
    """A key went down in the show window. ``key`` is pygame's key name, e.g. ``space``."""

    key: str


@dataclass(frozen=True)
class NextScene(Event):
    """Move to the next scene of the playlist now (crossfade as configured)."""


@dataclass(frozen=True)
class Trigger(Event):
    """Something should happen now (reveal a rainbow, ...). ``name`` says what asked."""

    name: str = "manual"


class EventQueue:
    """A thread-safe queue of events; ``post`` never blocks, ``drain`` takes all that waits."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def post(self, event: Event) -> None:
        self._queue.put(event)

    def drain(self) -> list[Event]:
        events: list[Event] = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events
