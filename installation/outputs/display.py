"""The one module that imports pygame's display: the window, its events, the canvas.

Drawing goes through SDL's renderer (``pygame._sdl2.video``): each model image is uploaded at
its own size as a texture and the GPU scales it, with linear filtering, straight to its place
on the screen. The canvas (``render_size``) is the renderer's logical size, letterboxed to the
window by SDL. Fullscreen is a borderless desktop-sized window on the chosen display, so it
also fills the screen on a kiosk that runs X without a window manager. Headless runs use SDL's
dummy driver and software renderer: same code, no screen.
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

_BLEND = 1  # SDL_BLENDMODE_BLEND


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    import pygame._sdl2.video

    return pygame


def _centred_on(display: int) -> int:
    """SDL_WINDOWPOS_CENTERED_DISPLAY(display)."""
    return 0x2FFF0000 | display


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
    """A window (or a headless one) that implements the scenes' ``Canvas``."""

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
        self._window: Any = None
        self._renderer: Any = None
        self._textures: dict[tuple[int, int, int], Any] = {}
        self._draws = 0
        self.driver = ""

    @property
    def size(self) -> tuple[int, int]:
        return self._render_size

    def open(self) -> None:
        pg = self._pg
        if self.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ.setdefault("SDL_RENDER_SCALE_QUALITY", "linear")
        try:
            pg.display.init()
        except pg.error as exc:
            raise DisplayError(
                f"No display is available ({exc}). Run on a machine with a screen (check DISPLAY "
                "or WAYLAND_DISPLAY), or add --headless to run without a window."
            ) from exc
        self.driver = pg.display.get_driver()
        sizes = [self._render_size] if self.headless else pg.display.get_desktop_sizes()
        if self.display_index >= len(sizes):
            pg.display.quit()
            raise DisplayError(
                f"Display {self.display_index} does not exist: this machine has {len(sizes)} "
                f"(numbered 0 to {len(sizes) - 1}). Pick one with --display N or display.display."
            )
        video = pg._sdl2.video
        position = (_centred_on(self.display_index),) * 2
        try:
            if self.headless:
                self._window = video.Window(self._title, size=self._render_size)
            elif self.fullscreen:
                self._window = video.Window(
                    self._title,
                    size=sizes[self.display_index],
                    position=position,
                    borderless=True,
                )
                self._window.set_fullscreen(desktop=True)
            else:
                self._window = video.Window(
                    self._title, size=self._window_size, position=position, resizable=True
                )
            self._renderer = self._make_renderer(video)
        except pg.error as exc:
            pg.display.quit()
            raise DisplayError(
                f"Could not open a window on display {self.display_index} ({exc}). "
                "Try --windowed, another --display, or --headless."
            ) from exc
        self._renderer.logical_size = self._render_size
        if self._hide_cursor and self.fullscreen:
            pg.mouse.set_visible(False)
        log.info(
            "display: driver %s, canvas %dx%d in a %dx%d %s window, vsync %s",
            self.driver,
            *self._render_size,
            *self._window.size,
            "fullscreen" if self.fullscreen else ("headless" if self.headless else "normal"),
            "on" if self.vsync else "off",
        )

    def _make_renderer(self, video: Any) -> Any:
        attempts = [True, False] if self._want_vsync else [False]
        last: Exception | None = None
        for vsync in attempts:
            try:
                renderer = video.Renderer(self._window, vsync=vsync)
            except self._pg.error as exc:  # vsync is not offered everywhere
                last = exc
                continue
            self.vsync = vsync
            return renderer
        raise self._pg.error(str(last))

    def close(self) -> None:
        if self._window is not None:
            self._textures.clear()
            self._renderer = None
            self._window.destroy()
            self._window = None
            self._pg.display.quit()

    def poll_events(self) -> list[Event]:
        """Window events as show events: Escape/Q quit, Right/N next scene, Space/Enter trigger."""
        pg = self._pg
        events: list[Event] = []
        for raw in pg.event.get():
            if raw.type in (pg.QUIT, pg.WINDOWCLOSE):
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
        self._renderer.draw_color = (*colour, 255)
        self._renderer.clear()

    def draw_image(self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain") -> None:
        if alpha <= 0.0:
            return
        pg = self._pg
        height, width = image.shape[:2]
        # One texture per image size and draw slot: a crossfade draws two images per frame.
        key = (width, height, self._draws)
        self._draws += 1
        texture = self._textures.get(key)
        if texture is None:
            texture = pg._sdl2.video.Texture(self._renderer, (width, height), streaming=True)
            texture.blend_mode = _BLEND
            self._textures[key] = texture
        surface = pg.image.frombuffer(np.ascontiguousarray(image), (width, height), "RGB")
        texture.update(surface)
        texture.alpha = round(min(alpha, 1.0) * 255)
        texture.draw(dstrect=fitted_rect((width, height), self._render_size, fit))

    def present(self) -> None:
        self._renderer.present()
        self._draws = 0

    def snapshot(self) -> Image:
        """What the last frame drew (headless: the canvas), as an RGB image (height x width x 3)."""
        surface = self._renderer.to_surface()
        return np.ascontiguousarray(self._pg.surfarray.array3d(surface).swapaxes(0, 1))


@contextmanager
def opened(display: PygameDisplay) -> Iterator[PygameDisplay]:
    """Open the display for the ``with`` block and close it afterwards."""
    display.open()
    try:
        yield display
    finally:
        display.close()
