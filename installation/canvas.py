"""Pictures and the canvas they are drawn on: the one small module scenes and outputs share.

Scenes draw on a ``Canvas``; the display output implements it with SDL's renderer, tests with
``tests/fakes.py``'s recording canvas. Nothing here imports pygame. Coordinates are canvas
pixels, (0, 0) top left; colours are RGB tuples; ``alpha`` is an overall opacity in [0, 1].
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]
"""An RGB image, height x width x 3, C-contiguous."""
Fit = Literal["contain", "cover", "stretch"]
"""How an image is placed on the canvas: letterboxed, cropped to fill, or stretched."""
Colour = tuple[int, int, int]
Point = tuple[float, float]
Rect = tuple[float, float, float, float]
"""(x, y, width, height) in canvas pixels."""
Anchor = Literal[
    "topleft", "top", "topright", "left", "center", "right", "bottomleft", "bottom", "bottomright"
]
"""Which point of a text's box sits at the given position."""


class Canvas(Protocol):
    """Where scenes and overlays draw. ``size`` is (width, height) in canvas pixels."""

    @property
    def size(self) -> tuple[int, int]: ...

    def clear(self, colour: Colour) -> None: ...

    def draw_image(
        self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain", box: Rect | None = None
    ) -> None:
        """Scale ``image`` smoothly onto the canvas (or into ``box``), centred; keeps aspect
        unless ``stretch``."""

    def draw_rect(self, rect: Rect, colour: Colour, *, alpha: float = 1.0, width: int = 0) -> None:
        """A rectangle: filled when ``width`` is 0, else an outline ``width`` pixels wide."""

    def draw_line(
        self, start: Point, end: Point, colour: Colour, *, alpha: float = 1.0, width: int = 1
    ) -> None:
        """A straight line ``width`` pixels wide."""

    def draw_circle(
        self, centre: Point, radius: float, colour: Colour, *, alpha: float = 1.0, width: int = 0
    ) -> None:
        """A circle: filled when ``width`` is 0, else a ring ``width`` pixels wide."""

    def draw_text(
        self,
        text: str,
        position: Point,
        colour: Colour,
        *,
        size: int = 24,
        alpha: float = 1.0,
        anchor: Anchor = "topleft",
        max_width: float | None = None,
    ) -> None:
        """One line of text in the bundled font, ``size`` pixels high, placed by ``anchor``;
        with ``max_width``, text wider than that is cut short and ends in "..."."""
