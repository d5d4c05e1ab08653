"""The scene contract.

A scene is activated (starts its model work), updated once per frame with the time and the
events meant for it, drawn onto a ``Canvas``, and deactivated. Scenes never import pygame or
onnxruntime: they draw on ``installation.canvas.Canvas`` and run an
``installation.models.base.Model``. No method here may wait: ``activate`` and ``deactivate``
start and signal workers, they never join them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from installation.canvas import Canvas
from installation.config.schema import SceneSettings
from installation.events import Event
from installation.models.sequence_worker import SequenceSource

T = TypeVar("T")
S = TypeVar("S", bound=SceneSettings)
SequenceFactory = Callable[[Callable[[int], T], str], SequenceSource[T]]
"""Makes a ``SequenceSource`` for a producer: threaded when live, inline when rendering."""


class Scene(ABC, Generic[S]):
    """A thing the show can display, configured by its settings (``S``)."""

    def __init__(self, settings: S) -> None:
        self.settings: S = settings
        self.name = settings.label

    def matches(self, target: str) -> bool:
        """Whether a control or OSC message naming ``target`` means this scene."""
        return target in (self.name, self.settings.kind)

    def reconfigure(self, settings: S) -> None:
        """Take new, already validated settings (a live parameter changed)."""
        self.settings = settings

    @abstractmethod
    def activate(self, now: float) -> None:
        """Start model work; called before the scene is first updated."""

    @abstractmethod
    def deactivate(self) -> None:
        """Stop model work (without waiting for it); the scene may be activated again later."""

    def ready(self) -> bool:
        """True once the scene can draw something (its first frame exists)."""
        return True

    def reset(self, now: float) -> None:
        """Start over from the scene's seed (``/lava/reset``); called only while active."""
        self.deactivate()
        self.activate(now)

    def steer(self, x: float, y: float, now: float) -> bool:
        """Steer towards the point ``(x, y)`` in [0, 1]^2; False if the scene cannot be steered."""
        return False

    def busy(self) -> bool:
        """True while work asked of it off screen is unfinished (a reveal being generated)."""
        return False

    @abstractmethod
    def update(self, now: float, events: Sequence[Event]) -> None:
        """Advance to time ``now`` (seconds on the show clock) with the events meant for it."""

    @abstractmethod
    def draw(self, canvas: Canvas, alpha: float) -> None:
        """Draw onto the canvas with overall opacity ``alpha`` (crossfades)."""
