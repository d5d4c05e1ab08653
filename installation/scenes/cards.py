"""The cards over the screen: what scenes show over everything, kept past a cut.

A scene drawn by the director may show a ``Card`` (``Scene.card``: a game's result card). The
director hands this keeper the scenes it draws each frame; the keeper holds the last card each
of them showed and keeps it after the director cuts away from that scene, until the card's
``until``. Drawn last, over the scenes and their crossfade: the rainbow a game made comes at
once, and the game's result stays readable over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from installation.canvas import Canvas, Rect
from installation.scenes.base import Card, Scene


class Cards:
    """The live cards, one per scene at most (a scene's new card replaces its old one)."""

    def __init__(self) -> None:
        self._by_scene: dict[int, Card] = {}

    def update(self, drawn: Iterable[tuple[int, Scene[Any]]], now: float) -> None:
        """Take the cards of the scenes ``drawn`` now (by index); drop those whose time is up."""
        for index, scene in drawn:
            card = scene.card()
            if card is None:
                self._by_scene.pop(index, None)
            else:
                self._by_scene[index] = card
        if self._by_scene:  # most frames hold no card: nothing to make a list for
            for index, card in list(self._by_scene.items()):
                if now >= card.until:
                    del self._by_scene[index]

    def clear(self) -> None:
        self._by_scene.clear()

    def draw(self, canvas: Canvas, now: float) -> None:
        for card in self._by_scene.values():
            card.draw(canvas, now)

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        """What the cards keep clear of overlays on a canvas of ``size``."""
        return [rect for card in self._by_scene.values() for rect in card.keep_clear(size)]
