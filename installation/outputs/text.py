"""One line of text in pygame's bundled font, rendered white (the display tints it per call).

The bundled font (FreeSans Bold, ``freesansbold.ttf``) carries a ``kern`` table (and no GPOS)
that *adds* space to about half the ordinary pairs and not to the others: "bu" +0.059 em,
"ut" +0.068, "tt" +0.103, "la" +0.062, but "to", "on", "pl", "ay" +0. SDL_ttf (behind
``pygame.font``) applies it and pygame 2.6 has no switch to turn kerning off, so headlines read
"bu t t on", "pl a y"; ``pygame.freetype`` with ``kerning = True`` does the same. (With it off,
freetype's layout costs about 10x SDL_ttf's per new text, and its ``render_raw_to`` does not
clip: a box misjudged by a pixel writes past the array.) So the font is loaded from memory with
its ``kern`` table emptied: the same glyphs, spaced by their own advances, rendered by SDL_ttf.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import Any

from installation.outputs.lru_cache import LruCache

FONT_CACHE_SIZE = 16
"""Fonts kept open, one per text size in use (a show uses a handful of sizes)."""


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    return pygame


def without_kerning(font_file: bytes) -> bytes:
    """A TrueType/OpenType font file with its ``kern`` table emptied (no subtables), so no
    renderer adjusts letter pairs; everything else byte for byte the same."""
    data = bytearray(font_file)
    if data[:4] == b"ttcf":  # a collection: not what pygame bundles, left as it is
        return font_file
    (count,) = struct.unpack_from(">H", data, 4)
    for index in range(count):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        if tag != b"kern":
            continue
        if struct.unpack_from(">H", data, offset)[0] == 0:  # OpenType: version, nTables (16 bit)
            struct.pack_into(">H", data, offset + 2, 0)
        elif struct.unpack_from(">I", data, offset)[0] == 0x00010000:  # Apple: 32-bit fields
            struct.pack_into(">I", data, offset + 4, 0)
    return bytes(data)


class BundledFont:
    """pygame's bundled font at any size, without its kerning: renders one line, white.

    ``size`` is the line's height in pixels (the font's ascent plus descent is one em); the
    rendered surface is the line's box, as wide as the text's advance (taller by a pixel or two
    where a descender reaches below the font's descent). One SDL_ttf font per size, the most
    recently used ``FONT_CACHE_SIZE`` kept open.
    """

    def __init__(self, capacity: int = FONT_CACHE_SIZE) -> None:
        self._file: bytes | None = None
        self._fonts: LruCache[int, Any] = LruCache(capacity)

    def __len__(self) -> int:
        """How many sizes are open now."""
        return len(self._fonts)

    def render(self, text: str, size: int) -> Any:
        """A surface with ``text`` in white on transparent, ``size`` pixels high."""
        # SDL_ttf refuses NUL characters; anything else it cannot show becomes a box.
        return self._font(size).render(text.replace("\0", " "), True, (255, 255, 255))

    def fit(self, text: str, size: int, max_width: float) -> str:
        """``text`` as it fits in ``max_width`` pixels at ``size``: whole, or its longest
        beginning that fits with "..." after it (measured, not rendered)."""
        font = self._font(size)
        if font.size(text)[0] <= max_width:
            return text
        low, high = 0, len(text)
        while low < high:  # the longest prefix whose cut line fits
            middle = (low + high + 1) // 2
            if font.size(text[:middle].rstrip() + "...")[0] <= max_width:
                low = middle
            else:
                high = middle - 1
        return text[:low].rstrip() + "..."

    def _font(self, size: int) -> Any:
        pg = _pygame()
        if not pg.font.get_init():
            pg.font.init()
            self._fonts.clear()  # fonts opened before pygame.font.quit() are not usable
        font = self._fonts.get(size)
        if font is None:
            if self._file is None:
                bundled = Path(pg.__file__).parent / pg.font.get_default_font()
                self._file = without_kerning(bundled.read_bytes())
            # Each font reads its own stream: SDL_ttf loads glyphs from it as they are needed.
            font = pg.font.Font(io.BytesIO(self._file), max(1, size))
            self._fonts.put(size, font)
        return font
