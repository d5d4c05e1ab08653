"""The stage game's result card, and where the game's texts sit on the screen.

At a game's end the game shows its ``ResultCard`` (``Scene.card``): the headline ("A rainbow
is born") and the result ("X won in 7 moves") on dark boxes, drawn over whatever is on screen:
the final board, then the rainbow the game made (the director cuts to it at once and keeps the
card over it). It stays ``result_seconds`` from the game's end, then fades out in
``FADE_SECONDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from installation.canvas import Canvas, Colour, Rect

HEADLINE_LINE = 1.3
"""A line of text's height, in text sizes, with room to spare (the font's is about 1.0)."""
FADE_SECONDS = 0.4
"""How long the card takes to fade out once its time is up."""
BOX: Colour = (0, 0, 0)
HEADLINE_BOX_ALPHA = 0.55
RESULT_BOX_ALPHA = 0.8


def headline_place(height: int) -> tuple[float, int]:
    """Where the headline's top is and how high its letters are, on a canvas this high."""
    return height * 0.06, max(16, round(height / 14))


def headline_band(size: tuple[int, int]) -> Rect:
    """The band across the top that any headline fits in (what overlays keep clear of)."""
    top, text = headline_place(size[1])
    return (0.0, 0.0, float(size[0]), top + text * HEADLINE_LINE)


def headline_box(size: tuple[int, int]) -> Rect:
    """The dark box behind the card's headline (readable over a bright rainbow)."""
    width, height = size
    top, text = headline_place(height)
    margin = text * (HEADLINE_LINE - 1.0)
    return (width * 0.2, top - margin, width * 0.6, text + 2 * margin)


def result_box(size: tuple[int, int]) -> Rect:
    width, height = size
    return (width * 0.2, height * 0.42, width * 0.6, height * 0.16)


@dataclass(frozen=True)
class ResultCard:
    """A finished game's card: fully there until ``shown_until``, gone at ``until``."""

    headline: str
    result: str
    shown_until: float
    colour: Colour

    @property
    def until(self) -> float:
        return self.shown_until + FADE_SECONDS

    def alpha(self, now: float) -> float:
        """1 while the card's time lasts, then down to 0 over ``FADE_SECONDS``."""
        if now < self.shown_until:
            return 1.0
        return max(0.0, 1.0 - (now - self.shown_until) / FADE_SECONDS)

    def draw(self, canvas: Canvas, now: float) -> None:
        alpha = self.alpha(now)
        if alpha <= 0.0:
            return
        width, height = canvas.size
        top, text = headline_place(height)
        canvas.draw_rect(headline_box(canvas.size), BOX, alpha=alpha * HEADLINE_BOX_ALPHA)
        canvas.draw_text(
            self.headline, (width / 2, top), self.colour, size=text, alpha=alpha, anchor="top"
        )
        canvas.draw_rect(result_box(canvas.size), BOX, alpha=alpha * RESULT_BOX_ALPHA)
        canvas.draw_text(
            self.result,
            (width / 2, height / 2),
            self.colour,
            size=max(18, round(height / 11)),
            alpha=alpha,
            anchor="center",
        )

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        """The headline's band (as the game keeps it) and the result's box."""
        return [headline_band(size), result_box(size)]
