"""Events: frozen dataclasses that input threads post and the frame loop drains.

Inputs, scenes and outputs never call each other; they meet here. The queue is safe to
post to from any thread and never blocks the poster.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


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
    """Something should happen now (reveal a rainbow, ...). ``name`` says what asked.

    ``at`` is when it was posted (``perf_counter``), so latency includes the queue.
    """

    name: str = "manual"
    at: float = field(default_factory=time.perf_counter, compare=False)


@dataclass(frozen=True, eq=False)
class ImageRevealed(Event):
    """A scene showed a newly generated image for the first time (a rainbow on trigger).

    Carries everything needed to save it and re-render it exactly: the latent, truncation,
    seed and model. ``trigger_to_frame_ms`` is from the trigger to the frame that first drew it.
    """

    image: NDArray[np.uint8]
    z: NDArray[np.float32]
    truncation: float
    seed: int
    model_name: str
    model_path: Path
    scene: str
    trigger: str
    trigger_to_frame_ms: float
    wall_time: float = field(default_factory=time.time)


class EventSink:
    """Something that reacts to events after each frame (gallery, stats); must not block."""

    def handle(self, event: Event) -> None:
        raise NotImplementedError


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
