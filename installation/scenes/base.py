"""The scene contract.

A scene is activated (starts its model work), updated once per frame with the time and the
events meant for it, drawn onto a ``Canvas``, and deactivated. Scenes never import pygame or
onnxruntime: they draw on ``installation.canvas.Canvas`` and run an
``installation.models.base.Model``. No method here may wait: ``activate`` and ``deactivate``
start and signal workers, they never join them. A scene may also show a ``Card`` over
everything on screen, which the director keeps drawing for a while after it cuts away from
the scene (a game's result card over the rainbow that game made).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from installation.canvas import Canvas, Rect
from installation.config.schema import SceneSettings
from installation.events import Event
from installation.models.sequence_worker import SequenceSource

T = TypeVar("T")
S = TypeVar("S", bound=SceneSettings)
SequenceFactory = Callable[[Callable[[int], T], str], SequenceSource[T]]
"""Makes a ``SequenceSource`` for a producer: threaded when live, inline when rendering."""


class Card(Protocol):
    """Something a scene shows over whatever is on screen, for a while (``Scene.card``).

    It is drawn from show time alone: the scene that left it may be off screen and no longer
    updated. It fades itself; from ``until`` on it draws nothing.
    """

    @property
    def until(self) -> float:
        """When (show clock) the card is gone: nothing is drawn from then on."""
        ...

    def draw(self, canvas: Canvas, now: float) -> None:
        """Draw the card as it looks at ``now`` over whatever the canvas shows."""
        ...

    def keep_clear(self, size: tuple[int, int]) -> Sequence[Rect]:
        """What of the card no overlay may cover on a canvas of ``size`` (``Scene.keep_clear``)."""
        ...


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

    def keep_clear(self, size: tuple[int, int]) -> Sequence[Rect]:
        """Where on a canvas of ``size`` the scene shows what no overlay may cover (a
        headline): rectangles in canvas pixels, read each frame the overlay is open."""
        return ()

    def card(self) -> Card | None:
        """What the scene shows over everything on screen now (a game's result card), or None.

        The director asks each frame the scene is drawn, draws the card last (over the scenes
        and their crossfade) and keeps drawing the last one it got after it cuts away from
        the scene, until the card's ``until``: a card outlives the cut (the rainbow comes at
        once; the game's result stays readable over it). The card draws from show time alone:
        a scene cut away from is no longer updated.
        """
        return None

    @abstractmethod
    def update(self, now: float, events: Sequence[Event]) -> None:
        """Advance to time ``now`` (seconds on the show clock) with the events meant for it."""

    @abstractmethod
    def draw(self, canvas: Canvas, alpha: float) -> None:
        """Draw onto the canvas with overall opacity ``alpha`` (crossfades)."""
