"""The scene contract and the canvas scenes draw on.

A scene is activated (starts its model work), updated once per frame with the time and the
frame's events, drawn onto a ``Canvas``, and deactivated. Scenes never import pygame: the
canvas is implemented by the display output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from installation.events import Event
from installation.models.sequence_worker import SequenceSource

Image = NDArray[np.uint8]
"""An RGB image, height x width x 3, C-contiguous."""
Fit = Literal["contain", "cover", "stretch"]
T = TypeVar("T")
SequenceFactory = Callable[[Callable[[int], T], str], SequenceSource[T]]
"""Makes a ``SequenceSource`` for a producer: threaded when live, inline when rendering."""


class Canvas(Protocol):
    """Where scenes draw. ``size`` is (width, height) in canvas pixels."""

    @property
    def size(self) -> tuple[int, int]: ...

    def clear(self, colour: tuple[int, int, int]) -> None: ...

    def draw_image(self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain") -> None:
        """Scale ``image`` smoothly onto the canvas, centred; keeps aspect unless ``stretch``."""


class Scene(ABC):
    """A thing the show can display. Subclasses say what they are in their docstring."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def activate(self, now: float) -> None:
        """Start model work; called before the scene is first updated."""

    @abstractmethod
    def deactivate(self) -> None:
        """Stop model work; the scene may be activated again later."""

    def ready(self) -> bool:
        """True once the scene can draw something (its first frame exists)."""
        return True

    @abstractmethod
    def update(self, now: float, events: Sequence[Event]) -> None:
        """Advance to time ``now`` (seconds on the show clock)."""

    @abstractmethod
    def draw(self, canvas: Canvas, alpha: float) -> None:
        """Draw onto the canvas with overall opacity ``alpha`` (crossfades)."""
