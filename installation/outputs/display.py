"""The one module that imports pygame's display: the window, its events, the canvas.

The canvas is a surface of ``render_size``; SDL's renderer scales it to the screen on the GPU
(pygame ``SCALED``, linear filtering), so the CPU only scales model images up to canvas size
into reused surfaces. Headless runs use SDL's dummy driver: same code, no window.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from installation.errors import DisplayError
from installation.events import Event, KeyPressed, NextScene, QuitRequested, Trigger
from installation.scenes.base import Fit, Image

log = logging.getLogger(__name__)

_QUIET = {"PYGAME_HIDE_SUPPORT_PROMPT": "1"}


def _pygame() -> Any:
    os.environ.update({k: v for k, v in _QUIET.items() if k not in os.environ})
    import pygame

    return pygame


def fitted_rect(
    image_size: tuple[int, int], canvas_size: tuple[int, int], fit: Fit
) -> tuple[int, int, int, int]:
    """(x, y, width, height) of an image of (width, height) placed on the canvas by ``fit``."""
    iw, ih = image_size
    cw, ch = canvas_size
    if fit == "stretch":
        return 0, 0, cw, ch
    scale = min(cw / iw, ch / ih) if fit == "contain" else max(cw / iw, ch / ih)
    w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
    return (cw - w) // 2, (ch - h) // 2, w, h


class PygameDisplay:
    """A window (or a headless surface) that implements the scenes' ``Canvas``."""

    def __init__(
        self,
        render_size: tuple[int, int],
        *,
        headless: bool = False,
        fullscreen: bool = True,
        display_index: int = 0,
        vsync: bool = True,
        window_size: tuple[int, int] = (1280, 720),
        hide_cursor: bool = True,
        title: str = "installation",
    ) -> None:
        self._render_size = render_size
        self.headless = headless
        self.fullscreen = fullscreen and not headless
        self.display_index = display_index
        self.vsync = False
        self._want_vsync = vsync and not headless
        self._window_size = window_size
        self._hide_cursor = hide_cursor
        self._title = title
        self._pg = _pygame()
        self._screen: Any = None
        self._scaled: dict[tuple[int, int], Any] = {}
        self.driver = ""

    @property
    def size(self) -> tuple[int, int]:
        return self._render_size

    def open(self) -> None:
        pg = self._pg
        if self.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_RENDER_SCALE_QUALITY", "linear")
        os.environ.setdefault("SDL_HINT_RENDER_SCALE_QUALITY", "linear")
        try:
            pg.display.init()
        except pg.error as exc:
            raise DisplayError(
                f"No display is available ({exc}). Run on a machine with a screen (check DISPLAY "
                "or WAYLAND_DISPLAY), or add --headless to run without a window."
            ) from exc
        self.driver = pg.display.get_driver()
        count = pg.display.get_num_displays() if not self.headless else 1
        if self.display_index >= count:
            pg.display.quit()
            raise DisplayError(
                f"Display {self.display_index} does not exist: this machine has {count} "
                f"(numbered 0 to {count - 1}). Pick one with --display N or display.display."
            )
        pg.display.set_caption(self._title)
        self._screen = self._set_mode()
        if self._hide_cursor and self.fullscreen:
            pg.mouse.set_visible(False)
        log.info(
            "display: driver %s, canvas %dx%d, %s, vsync %s",
            self.driver,
            *self._render_size,
            "fullscreen" if self.fullscreen else ("headless" if self.headless else "windowed"),
            "on" if self.vsync else "off",
        )

    def _set_mode(self) -> Any:
        pg = self._pg
        if self.headless:
            return pg.display.set_mode(self._render_size)
        flags = pg.SCALED | (pg.FULLSCREEN if self.fullscreen else pg.RESIZABLE)
        attempts = [1, 0] if self._want_vsync else [0]
        last: Exception | None = None
        for vsync in attempts:
            try:
                screen = pg.display.set_mode(
                    self._render_size, flags, display=self.display_index, vsync=vsync
                )
                self.vsync = bool(vsync)
                return screen
            except pg.error as exc:  # vsync is not available everywhere
                last = exc
        raise DisplayError(
            f"Could not open a {self._render_size[0]}x{self._render_size[1]} window on display "
            f"{self.display_index} ({last}). Try --windowed, another --display, or --headless."
        )

    def close(self) -> None:
        if self._screen is not None:
            self._pg.display.quit()
            self._screen = None

    def poll_events(self) -> list[Event]:
        """Window events as show events: Escape/Q quit, Right/N next scene, Space/Enter trigger."""
        pg = self._pg
        events: list[Event] = []
        for raw in pg.event.get():
            if raw.type == pg.QUIT:
                events.append(QuitRequested("window closed"))
            elif raw.type == pg.KEYDOWN:
                name = pg.key.name(raw.key)
                events.append(KeyPressed(name))
                if raw.key in (pg.K_ESCAPE, pg.K_q):
                    events.append(QuitRequested(f"{name} pressed"))
                elif raw.key in (pg.K_RIGHT, pg.K_n):
                    events.append(NextScene())
                elif raw.key in (pg.K_SPACE, pg.K_RETURN):
                    events.append(Trigger("keyboard"))
        return events

    # Canvas -------------------------------------------------------------------------------

    def clear(self, colour: tuple[int, int, int]) -> None:
        self._screen.fill(colour)

    def draw_image(self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain") -> None:
        if alpha <= 0.0:
            return
        pg = self._pg
        height, width = image.shape[:2]
        x, y, w, h = fitted_rect((width, height), self._render_size, fit)
        source = pg.image.frombuffer(np.ascontiguousarray(image), (width, height), "RGB")
        if (w, h) == (width, height):
            target = source
        else:
            target = self._scaled.get((w, h))
            if target is None:
                target = pg.Surface((w, h), 0, source)  # same pixel format as frombuffer
                self._scaled[(w, h)] = target
            pg.transform.smoothscale(source, (w, h), target)
        if alpha < 1.0:
            target.set_alpha(round(alpha * 255))
        else:
            target.set_alpha(None)
        self._screen.blit(target, (x, y))

    def present(self) -> None:
        self._pg.display.flip()

    def snapshot(self) -> Image:
        """The canvas as an RGB image (height x width x 3), for offline rendering and tests."""
        pixels = self._pg.surfarray.array3d(self._screen)
        return np.ascontiguousarray(pixels.swapaxes(0, 1))


@contextmanager
def opened(display: PygameDisplay) -> Iterator[PygameDisplay]:
    display.open()
    try:
        yield display
    finally:
        display.close()
