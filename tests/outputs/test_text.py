"""The bundled font without its kerning (``outputs/text.py``); spacing on screen is checked in
``test_drawing.py``."""

from __future__ import annotations

import struct
from pathlib import Path

import pygame

from installation.outputs.text import BundledFont, without_kerning

BUNDLED = Path(pygame.__file__).parent / pygame.font.get_default_font()


def table(font_file: bytes, wanted: bytes) -> int | None:
    """The offset of a table in a font file, or None."""
    (count,) = struct.unpack_from(">H", font_file, 4)
    for index in range(count):
        tag, _, offset, _ = struct.unpack_from(">4sIII", font_file, 12 + 16 * index)
        if tag == wanted:
            return int(offset)
    return None


def font_file(tag: bytes, body: bytes) -> bytes:
    """A font file's skeleton: the sfnt header and one table."""
    header = struct.pack(">IHHHH", 0x00010000, 1, 16, 0, 0)
    entry = struct.pack(">4sIII", tag, 0, 12 + 16, len(body))
    return header + entry + body


def test_the_bundled_font_has_kerning_and_loses_only_that() -> None:
    original = BUNDLED.read_bytes()
    kern = table(original, b"kern")
    assert kern is not None
    assert struct.unpack_from(">HH", original, kern) == (0, 1)  # one subtable of pairs

    patched = without_kerning(original)

    assert struct.unpack_from(">HH", patched, kern) == (0, 0)
    changed = [i for i, (a, b) in enumerate(zip(original, patched, strict=True)) if a != b]
    assert changed and all(kern + 2 <= i < kern + 4 for i in changed)
    assert without_kerning(patched) == patched


def test_apple_kern_tables_are_emptied_too() -> None:
    apple = font_file(b"kern", struct.pack(">II", 0x00010000, 3) + b"\0" * 8)
    assert struct.unpack_from(">II", without_kerning(apple), 28) == (0x00010000, 0)


def test_fonts_without_kerning_and_collections_are_left_alone() -> None:
    plain = font_file(b"head", b"\1" * 8)
    assert without_kerning(plain) == plain
    collection = b"ttcf" + b"\0" * 60
    assert without_kerning(collection) == collection


def test_text_is_the_size_asked_and_white() -> None:
    font = BundledFont()
    surface = font.render("Hg", 40)
    assert 40 <= surface.get_height() <= 44
    alpha = pygame.surfarray.array_alpha(surface)
    colour = pygame.surfarray.array3d(surface)
    assert alpha.max() == 255 and (colour[alpha > 0] == 255).all()
    assert len(font) == 1


def test_fonts_stay_bounded_by_size() -> None:
    font = BundledFont(capacity=3)
    for size in range(10, 20):
        font.render("x", size)
    assert len(font) == 3
