"""The window and the canvas drawn in it: SDL's renderer behind the scenes' ``Canvas``.

The window's events (keys, gamepads, close) are read by ``installation.inputs.window``; whether
there is a screen at all is decided by ``installation.outputs.sdl`` (which also imports pygame).

Drawing goes through SDL's renderer (``pygame._sdl2.video``): each model image is uploaded at
its own size as a texture and the GPU scales it, with linear filtering, straight to its place
on the screen. The canvas (``render_size``) is the renderer's logical size, letterboxed to the
window by SDL. Fullscreen is a borderless desktop-sized window on the chosen display, so it
also fills the screen on a kiosk that runs X without a window manager. Headless runs use SDL's
dummy driver and software renderer: same code, no screen.

Rectangles and thin lines use the renderer's own primitives. Circles, text and thick slanted
lines are rendered once, white, into a texture that is tinted per call (colour and alpha
modulation), so a colour or opacity change costs nothing; those textures live in bounded LRU
caches (``outputs/lru_cache.py``), because the show runs for weeks and text such as an fps
counter changes every frame. Text comes from ``outputs/text.py`` (the bundled font, without its
kerning); the placement arithmetic is in ``outputs/geometry.py``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from installation.canvas import Anchor, Colour, Fit, Image, Point, Rect
from installation.errors import DisplayError
from installation.outputs.geometry import anchored_rect, disc_coverage, fitted_rect
from installation.outputs.lru_cache import LruCache
from installation.outputs.sdl import load_pygame, start_video
from installation.outputs.text import BundledFont

log = logging.getLogger(__name__)

_BLEND = 1  # SDL_BLENDMODE_BLEND

IMAGE_CACHE_SIZE = 16
"""Streaming image textures, one per image size and draw slot (a show uses a handful)."""
TEXT_CACHE_SIZE = 256
CIRCLE_CACHE_SIZE = 64
LINE_CACHE_SIZE = 16


def _opacity(alpha: float) -> int:
    return round(min(alpha, 1.0) * 255)


def _centred_on(display: int) -> int:
    """SDL_WINDOWPOS_CENTERED_DISPLAY(display)."""
    return 0x2FFF0000 | display


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
        self._pg = load_pygame()
        self._window: Any = None
        self._renderer: Any = None
        self._textures: LruCache[tuple[int, int, int], Any] = LruCache(IMAGE_CACHE_SIZE)
        self._text_textures: LruCache[tuple[str, int], Any] = LruCache(TEXT_CACHE_SIZE)
        self._circle_textures: LruCache[tuple[int, int], Any] = LruCache(CIRCLE_CACHE_SIZE)
        self._line_textures: LruCache[int, Any] = LruCache(LINE_CACHE_SIZE)
        self._font = BundledFont()
        self._draws = 0
        self.driver = ""

    @property
    def size(self) -> tuple[int, int]:
        return self._render_size

    @property
    def output_size(self) -> tuple[int, int]:
        """The window's size in screen pixels (the render size before it opens)."""
        window = getattr(self, "_window", None)
        if window is None:
            return self._render_size
        width, height = window.size
        return int(width), int(height)

    def open(self) -> None:
        pg = self._pg
        os.environ.setdefault("SDL_RENDER_SCALE_QUALITY", "linear")
        # Draw calls render when made, not when presented: the frame loop draws, waits for the
        # deadline, then presents, so presenting must be cheap and the same every frame.
        os.environ.setdefault("SDL_RENDER_BATCHING", "0")
        self.driver = start_video(headless=self.headless)
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
            self._text_textures.clear()
            self._circle_textures.clear()
            self._line_textures.clear()
            self._renderer = None
            self._window.destroy()
            self._window = None
            self._pg.display.quit()

    # Canvas -------------------------------------------------------------------------------

    def clear(self, colour: tuple[int, int, int]) -> None:
        self._renderer.draw_color = (*colour, 255)
        self._renderer.clear()

    def draw_image(
        self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain", box: Rect | None = None
    ) -> None:
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
            self._textures.put(key, texture)
        surface = pg.image.frombuffer(np.ascontiguousarray(image), (width, height), "RGB")
        texture.update(surface)
        texture.alpha = _opacity(alpha)
        if box is None:
            texture.draw(dstrect=fitted_rect((width, height), self._render_size, fit))
            return
        left, top, box_width, box_height = (round(v) for v in box)
        x, y, w, h = fitted_rect((width, height), (box_width, box_height), fit)
        texture.draw(dstrect=(left + x, top + y, w, h))

    def draw_rect(self, rect: Rect, colour: Colour, *, alpha: float = 1.0, width: int = 0) -> None:
        if alpha <= 0.0:
            return
        x, y, w, h = rect
        left, top, right, bottom = round(x), round(y), round(x + w), round(y + h)
        w, h = right - left, bottom - top
        if w <= 0 or h <= 0:
            return
        renderer = self._renderer
        renderer.draw_color = (*colour, _opacity(alpha))
        renderer.draw_blend_mode = _BLEND
        if width <= 0 or 2 * width >= min(w, h):
            renderer.fill_rect((left, top, w, h))
            return
        # Four bands that do not overlap, so a translucent outline is even all round.
        renderer.fill_rect((left, top, w, width))
        renderer.fill_rect((left, bottom - width, w, width))
        renderer.fill_rect((left, top + width, width, h - 2 * width))
        renderer.fill_rect((right - width, top + width, width, h - 2 * width))

    def draw_line(
        self, start: Point, end: Point, colour: Colour, *, alpha: float = 1.0, width: int = 1
    ) -> None:
        if alpha <= 0.0 or width <= 0:
            return
        x0, y0 = round(start[0]), round(start[1])
        x1, y1 = round(end[0]), round(end[1])
        if width == 1:
            renderer = self._renderer
            renderer.draw_color = (*colour, _opacity(alpha))
            renderer.draw_blend_mode = _BLEND
            renderer.draw_line((x0, y0), (x1, y1))
        elif x0 == x1 or y0 == y1:
            # Straight along an axis: an exact rectangle, centred on the line, butt ends.
            half = width // 2
            if y0 == y1:
                rect = (min(x0, x1), y0 - half, max(abs(x1 - x0), 1), width)
            else:
                rect = (x0 - half, min(y0, y1), width, abs(y1 - y0))
            self.draw_rect(rect, colour, alpha=alpha)
        else:
            self._draw_slanted_line(start, end, colour, alpha, width)

    def _draw_slanted_line(
        self, start: Point, end: Point, colour: Colour, alpha: float, width: int
    ) -> None:
        # A white bar with one transparent row above and below, drawn at its own height and
        # rotated: linear filtering then shades the slanted edges instead of leaving steps.
        texture = self._line_textures.get(width)
        if texture is None:
            coverage = np.full((width + 2, 2), 255, dtype=np.uint8)
            coverage[0] = coverage[-1] = 0
            texture = self._white_texture(coverage)
            self._line_textures.put(width, texture)
        dx, dy = end[0] - start[0], end[1] - start[1]
        height = width + 2
        texture.color = colour
        texture.alpha = _opacity(alpha)
        texture.draw(
            dstrect=(
                round(start[0]),
                round(start[1]) - height // 2,
                round(math.hypot(dx, dy)),
                height,
            ),
            angle=math.degrees(math.atan2(dy, dx)),
            origin=(0, height // 2),
        )

    def draw_circle(
        self, centre: Point, radius: float, colour: Colour, *, alpha: float = 1.0, width: int = 0
    ) -> None:
        if alpha <= 0.0 or radius <= 0.0:
            return
        # Half-pixel steps of radius: smooth enough for an animated circle, few textures.
        key = (round(radius * 2), max(width, 0))
        texture = self._circle_textures.get(key)
        if texture is None:
            texture = self._white_texture(disc_coverage(key[0] / 2, key[1]))
            self._circle_textures.put(key, texture)
        side = texture.width
        texture.color = colour
        texture.alpha = _opacity(alpha)
        texture.draw(dstrect=(round(centre[0] - side / 2), round(centre[1] - side / 2), side, side))

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
        if alpha <= 0.0 or not text or size <= 0:
            return
        if max_width is not None:
            text = self._font.fit(text, size, max_width)
        key = (text, size)
        texture = self._text_textures.get(key)
        if texture is None:
            surface = self._font.render(text, size)
            texture = self._pg._sdl2.video.Texture.from_surface(self._renderer, surface)
            texture.blend_mode = _BLEND
            self._text_textures.put(key, texture)
        texture.color = colour
        texture.alpha = _opacity(alpha)
        texture.draw(dstrect=anchored_rect(position, (texture.width, texture.height), anchor))

    def _white_texture(self, coverage: NDArray[np.uint8]) -> Any:
        """A texture of white pixels whose alpha is ``coverage`` (rows x columns)."""
        height, width = coverage.shape
        rgba = np.empty((height, width, 4), dtype=np.uint8)
        rgba[..., :3] = 255
        rgba[..., 3] = coverage
        surface = self._pg.image.frombuffer(rgba, (width, height), "RGBA")
        texture = self._pg._sdl2.video.Texture.from_surface(self._renderer, surface)
        texture.blend_mode = _BLEND
        return texture

    def cache_sizes(self) -> dict[str, int]:
        """How many textures and fonts each drawing cache holds now (each has a fixed bound)."""
        return {
            "image": len(self._textures),
            "text": len(self._text_textures),
            "circle": len(self._circle_textures),
            "line": len(self._line_textures),
            "font": len(self._font),
        }

    def present(self) -> None:
        self._renderer.present()
        self._draws = 0

    def grab(self) -> Callable[[], Image]:
        """Take the frame drawn so far (call before ``present``: SDL's back buffer is undefined
        after it); the returned callable turns it into an RGB image, on any thread."""
        pg = self._pg
        # Into a surface of our own: pygame 2.6's Renderer.to_surface() with no surface leaks
        # the one it makes (3.7 MB a grab at 1280x720; the posting path's growth). Ours is
        # freed with the closure: 0.26 ms a grab.
        area = self._renderer.get_viewport()
        surface = self._renderer.to_surface(pg.Surface(area.size, 0, 32), area)

        def pixels() -> Image:
            width, height = surface.get_size()
            data = pg.image.tobytes(surface, "RGB")
            return np.frombuffer(data, np.uint8).reshape(height, width, 3).copy()

        return pixels

    def snapshot(self) -> Image:
        """What the last frame drew (headless: the canvas), as an RGB image (height x width x 3)."""
        return self.grab()()


@contextmanager
def opened(display: PygameDisplay) -> Iterator[PygameDisplay]:
    """Open the display for the ``with`` block and close it afterwards."""
    display.open()
    try:
        yield display
    finally:
        display.close()
