"""The display's drawing calls, checked pixel by pixel on a headless canvas."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pygame
import pytest

from installation.canvas import Anchor
from installation.outputs.display import (
    CIRCLE_CACHE_SIZE,
    IMAGE_CACHE_SIZE,
    LINE_CACHE_SIZE,
    TEXT_CACHE_SIZE,
    PygameDisplay,
    opened,
)
from installation.outputs.geometry import disc_coverage
from installation.outputs.lru_cache import LruCache
from installation.outputs.text import FONT_CACHE_SIZE

BACKGROUND = (10, 20, 30)
ORANGE = (200, 100, 50)
WHITE = (255, 255, 255)


@pytest.fixture
def display() -> Iterator[PygameDisplay]:
    with opened(PygameDisplay((200, 120), headless=True)) as screen:
        screen.clear(BACKGROUND)
        yield screen


def ink(shot: np.ndarray) -> np.ndarray:
    """Where the picture differs from the background (rows x columns of bool)."""
    return np.any(shot != BACKGROUND, axis=-1)


def ink_box(shot: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of what was drawn, inclusive."""
    rows, columns = np.nonzero(ink(shot))
    assert len(rows), "nothing was drawn"
    return int(columns.min()), int(rows.min()), int(columns.max()), int(rows.max())


def near(pixel: np.ndarray, colour: tuple[int, int, int], tolerance: int = 2) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - colour) <= tolerance))


# Rectangles -------------------------------------------------------------------------------


def test_filled_rect_covers_exactly_its_area(display: PygameDisplay) -> None:
    display.draw_rect((20, 10, 30, 40), ORANGE)
    shot = display.snapshot()
    assert np.all(shot[10:50, 20:50] == ORANGE)
    assert ink_box(shot) == (20, 10, 49, 49)


def test_half_alpha_rect_blends_over_the_background(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_rect((0, 0, 200, 120), (0, 0, 200))
    display.draw_rect((20, 20, 40, 40), (200, 100, 50), alpha=0.5)
    shot = display.snapshot()
    assert near(shot[40, 40], (100, 50, 125))
    assert tuple(shot[10, 10]) == (0, 0, 200)


def test_outlined_rect_is_hollow_and_its_border_has_the_width(display: PygameDisplay) -> None:
    display.draw_rect((20, 20, 60, 40), ORANGE, width=3)
    shot = display.snapshot()
    assert np.all(shot[20:23, 20:80] == ORANGE)  # top band, 3 rows
    assert np.all(shot[57:60, 20:80] == ORANGE)  # bottom band
    assert np.all(shot[20:60, 20:23] == ORANGE)  # left band
    assert np.all(shot[20:60, 77:80] == ORANGE)  # right band
    assert np.all(shot[23:57, 23:77] == BACKGROUND)  # hollow
    assert ink_box(shot) == (20, 20, 79, 59)


def test_translucent_outline_is_even_at_the_corners(display: PygameDisplay) -> None:
    display.draw_rect((20, 20, 60, 40), WHITE, width=4, alpha=0.5)
    shot = display.snapshot()
    assert np.array_equal(shot[21, 21], shot[21, 50])  # a corner is not drawn twice
    assert np.array_equal(shot[40, 21], shot[21, 50])


def test_an_outline_wider_than_half_the_rect_fills_it(display: PygameDisplay) -> None:
    display.draw_rect((20, 20, 10, 10), ORANGE, width=6)
    assert np.all(display.snapshot()[20:30, 20:30] == ORANGE)


# Lines ------------------------------------------------------------------------------------


def test_thick_horizontal_line_covers_its_width_centred(display: PygameDisplay) -> None:
    display.draw_line((20, 50), (120, 50), ORANGE, width=5)
    shot = display.snapshot()
    assert np.all(shot[48:53, 20:120] == ORANGE)
    assert ink_box(shot) == (20, 48, 119, 52)


def test_thick_vertical_line_covers_its_width_centred(display: PygameDisplay) -> None:
    display.draw_line((60, 100), (60, 10), ORANGE, width=4)
    shot = display.snapshot()
    assert np.all(shot[10:100, 58:62] == ORANGE)
    assert ink_box(shot) == (58, 10, 61, 99)


def test_thin_line_passes_through_its_end_points(display: PygameDisplay) -> None:
    display.draw_line((10, 10), (90, 90), ORANGE)
    shot = display.snapshot()
    for i in (10, 30, 50, 90):
        assert tuple(shot[i, i]) == ORANGE
    assert tuple(shot[10, 30]) == BACKGROUND
    assert ink(shot).sum() == 81  # one pixel per step of a 45-degree line


def test_thick_slanted_line_is_as_wide_as_asked(display: PygameDisplay) -> None:
    display.draw_line((20, 20), (120, 100), ORANGE, width=8)
    shot = display.snapshot()
    # Half-way along, the line's centre is at (70, 60); a vertical cut through a line at angle
    # a is width / cos(a) long.
    assert tuple(shot[60, 70]) == ORANGE
    cut = ink(shot)[:, 70]
    expected = 8 / np.cos(np.arctan2(80, 100))
    assert abs(int(cut.sum()) - expected) <= 2.5
    assert not cut[:45].any() and not cut[76:].any()
    left, top, right, bottom = ink_box(shot)
    assert 14 <= left <= 20 and 14 <= top <= 20 and 119 <= right <= 126 and 99 <= bottom <= 106


def test_slanted_line_edges_are_anti_aliased(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_line((20, 20), (120, 100), WHITE, width=8)
    levels = np.unique(display.snapshot()[:, 70, 0])
    assert any(0 < level < 255 for level in levels), levels


# Circles ----------------------------------------------------------------------------------


def test_filled_circle_is_full_inside_and_empty_outside(display: PygameDisplay) -> None:
    display.draw_circle((100, 60), 30, ORANGE)
    shot = display.snapshot()
    for dx, dy in ((0, 0), (28, 0), (-28, 0), (0, 28), (0, -28), (19, 19)):
        assert tuple(shot[60 + dy, 100 + dx]) == ORANGE, (dx, dy)
    for dx, dy in ((32, 0), (-33, 0), (0, 32), (0, -33), (23, 23)):
        assert tuple(shot[60 + dy, 100 + dx]) == BACKGROUND, (dx, dy)
    left, top, right, bottom = ink_box(shot)
    assert (left, top, right, bottom) == (70, 30, 129, 89)


def test_ring_is_hollow(display: PygameDisplay) -> None:
    display.draw_circle((100, 60), 30, ORANGE, width=4)
    shot = display.snapshot()
    assert tuple(shot[60, 100]) == BACKGROUND
    assert tuple(shot[60, 100 + 24]) == BACKGROUND  # inside the ring's inner edge
    for dx, dy in ((28, 0), (-28, 0), (0, 28), (0, -28)):
        assert tuple(shot[60 + dy, 100 + dx]) == ORANGE, (dx, dy)
    assert tuple(shot[60, 100 + 33]) == BACKGROUND


def test_circle_edge_is_anti_aliased_and_alpha_blends(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_circle((100, 60), 30.0, WHITE, alpha=0.5)
    shot = display.snapshot()
    assert near(shot[60, 100], (128, 128, 128))
    edge = shot[60, 125:135, 0]
    assert any(0 < level < 128 for level in edge), edge


def test_disc_coverage_is_symmetric_and_a_ring_leaves_the_middle_empty() -> None:
    disc = disc_coverage(10.5)
    assert disc.shape == (24, 24)
    assert np.array_equal(disc, disc.T) and np.array_equal(disc, disc[::-1])
    assert disc[12, 12] == 255 and disc[0, 0] == 0
    ring = disc_coverage(10.5, width=3)
    assert ring[12, 12] == 0 and ring[12, 3] == 255


# Text -------------------------------------------------------------------------------------


def test_text_draws_inside_its_box_at_the_anchor(display: PygameDisplay) -> None:
    display.draw_text("Hello", (20, 30), WHITE, size=24)
    left, top, right, bottom = ink_box(display.snapshot())
    # Ink starts just right of and below the top-left corner, and is about 24 px high.
    assert 20 <= left <= 24 and 30 <= top <= 36
    assert 40 <= right - left <= 90
    assert bottom <= 30 + 24


def test_text_wider_than_max_width_is_cut_short_to_fit(display: PygameDisplay) -> None:
    long = "input 3.6 s ago: osc 127.0.0.1: /rainbow/latent 0.25 0.75"
    display.draw_text(long, (10, 10), WHITE, size=16, max_width=120)
    left, _, right, _ = ink_box(display.snapshot())
    assert right - left + 1 <= 120
    assert right - left > 90  # cut to fit, not to nothing


def test_text_that_fits_its_max_width_is_drawn_whole(display: PygameDisplay) -> None:
    display.draw_text("Hello", (10, 10), WHITE, size=16)
    whole = display.snapshot()
    display.clear(BACKGROUND)
    display.draw_text("Hello", (10, 10), WHITE, size=16, max_width=180)
    assert np.array_equal(display.snapshot(), whole)


def test_text_size_is_its_height_in_canvas_pixels(display: PygameDisplay) -> None:
    heights = []
    for size in (16, 48):
        display.clear(BACKGROUND)
        display.draw_text("Hg", (10, 10), WHITE, size=size)
        _, top, _, bottom = ink_box(display.snapshot())
        heights.append(bottom - top + 1)
    # From the top of H to the bottom of g is most of the line height.
    assert 0.7 * 16 <= heights[0] <= 16 and 0.7 * 48 <= heights[1] <= 48


@pytest.mark.parametrize(
    ("anchor", "fraction"),
    [
        ("top", (0.5, 0.0)),
        ("topright", (1.0, 0.0)),
        ("left", (0.0, 0.5)),
        ("center", (0.5, 0.5)),
        ("right", (1.0, 0.5)),
        ("bottomleft", (0.0, 1.0)),
        ("bottom", (0.5, 1.0)),
        ("bottomright", (1.0, 1.0)),
    ],
)
def test_anchors_move_the_text_by_fractions_of_its_box(
    display: PygameDisplay, anchor: Anchor, fraction: tuple[float, float]
) -> None:
    point = (100, 60)
    display.draw_text("Hello", point, WHITE, size=24)
    reference = ink_box(display.snapshot())
    display.clear(BACKGROUND)
    display.draw_text("Hello", point, WHITE, size=24, anchor="bottomright")
    corner = ink_box(display.snapshot())
    box_width, box_height = reference[0] - corner[0], reference[1] - corner[1]
    assert 50 < box_width < 90 and 14 < box_height < 30  # the box of "Hello" at 24 px
    display.clear(BACKGROUND)
    display.draw_text("Hello", point, WHITE, size=24, anchor=anchor)
    moved = ink_box(display.snapshot())
    assert abs(reference[0] - moved[0] - fraction[0] * box_width) <= 1
    assert abs(reference[1] - moved[1] - fraction[1] * box_height) <= 1
    assert moved[2] - moved[0] == reference[2] - reference[0]


def test_centred_text_is_centred_on_the_point(display: PygameDisplay) -> None:
    display.draw_text("OXO", (100, 60), WHITE, size=40, anchor="center")
    left, top, right, bottom = ink_box(display.snapshot())
    assert abs((left + right) / 2 - 100) <= 2
    assert abs((top + bottom) / 2 - 60) <= 4  # letters without descenders sit a little high


def test_text_takes_the_colour_of_each_call(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_text("Hello", (20, 30), (255, 0, 0), size=24)
    display.draw_text("Hello", (20, 70), (0, 255, 0), size=24)  # the cached texture, tinted
    shot = display.snapshot()
    top, bottom = shot[25:60], shot[65:100]
    assert top[..., 0].max() == 255 and top[..., 1].max() == 0 and top[..., 2].max() == 0
    assert bottom[..., 1].max() == 255 and bottom[..., 0].max() == 0


def test_text_alpha_scales_its_opacity(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_text("Hello", (20, 30), WHITE, size=24, alpha=0.5)
    assert 120 <= display.snapshot().max() <= 135


def test_the_font_module_is_started_on_first_text(display: PygameDisplay) -> None:
    pygame.font.quit()
    display.draw_text("Hi", (20, 30), WHITE, size=24)
    assert pygame.font.get_init()
    assert ink(display.snapshot()).any()


def test_text_draws_after_the_display_is_reopened() -> None:
    screen = PygameDisplay((80, 40), headless=True)
    for _ in range(2):
        with opened(screen):
            screen.clear(BACKGROUND)
            screen.draw_text("Hi", (10, 10), WHITE, size=20)
            screen.draw_circle((60, 20), 8, WHITE)
            assert ink(screen.snapshot()).sum() > 100


def test_empty_text_and_nul_characters_are_harmless(display: PygameDisplay) -> None:
    display.draw_text("", (20, 30), WHITE)
    assert not ink(display.snapshot()).any()
    display.draw_text("a\0b", (20, 30), WHITE)
    assert ink(display.snapshot()).any()


# Letter spacing ---------------------------------------------------------------------------

HEADLINE = 77  # the stage game's headline on a 1080-line screen: round(1080 / 14)


def letter_gaps(screen: PygameDisplay, text: str) -> list[int]:
    """The blank columns between the letters of ``text`` drawn at headline size, left to right
    (a letter is a run of columns with ink; faint anti-aliased edges do not count)."""
    screen.clear(BACKGROUND)
    screen.draw_text(text, (10, 10), WHITE, size=HEADLINE)
    strong = np.abs(screen.snapshot().astype(int) - BACKGROUND).max(axis=-1) > 100
    columns = [*strong.any(axis=0).tolist(), False]
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for x, inked in enumerate(columns):
        if inked and start is None:
            start = x
        elif not inked and start is not None:
            runs.append((start, x))
            start = None
    assert len(runs) == len(text), f"{text!r}: letters touch or break apart ({runs})"
    return [right[0] - left[1] for left, right in pairwise(runs)]


@pytest.mark.parametrize("word", ["button", "play", "little", "settle"])
def test_letters_are_spaced_by_their_own_sides_not_by_pairs(word: str) -> None:
    """Even spacing, as type is spaced: the blank between two letters is the first one's right
    side plus the second one's left side, each measured next to an "n". The bundled font's
    kerning table breaks that: it widens "ut", "tt", "la" and not "to", "ay" ("bu t t on",
    "pl a y")."""
    with opened(PygameDisplay((400, 110), headless=True)) as screen:
        gaps = letter_gaps(screen, word)
        nn = letter_gaps(screen, "nn")[0]
        expected = [
            letter_gaps(screen, left + "n")[0] + letter_gaps(screen, "n" + right)[0] - nn
            for left, right in pairwise(word)
        ]
    off = [g - e for g, e in zip(gaps, expected, strict=True)]
    assert max(map(abs, off)) <= 1, f"{word!r}: gaps {gaps}, from the letters' sides {expected}"


# Alpha 0 and caches -----------------------------------------------------------------------


def test_zero_alpha_draws_nothing(display: PygameDisplay) -> None:
    display.draw_rect((10, 10, 50, 50), ORANGE, alpha=0.0)
    display.draw_line((10, 10), (90, 50), ORANGE, width=6, alpha=0.0)
    display.draw_circle((100, 60), 20, ORANGE, alpha=0.0)
    display.draw_text("Hello", (20, 30), ORANGE, alpha=0.0)
    assert not ink(display.snapshot()).any()


def test_caches_stay_at_their_bounds(display: PygameDisplay) -> None:
    for i in range(10_000):
        display.draw_text(f"frame {i}", (10, 10), WHITE, size=12 + i % 40)
        if i % 10 == 0:
            display.draw_circle((50, 50), 1 + i / 100, WHITE)
            display.draw_line((0, 0), (100, 60), WHITE, width=2 + i // 200)
        if i % 100 == 99:
            display.present()  # as the frame loop does: SDL's queued commands are spent
            display.clear(BACKGROUND)
    assert display.cache_sizes() == {
        "image": 0,
        "text": TEXT_CACHE_SIZE,
        "circle": CIRCLE_CACHE_SIZE,
        "line": LINE_CACHE_SIZE,
        "font": FONT_CACHE_SIZE,
    }
    display.draw_text("frame 0", (10, 10), WHITE, size=12)  # evicted long ago: drawn anew
    assert ink(display.snapshot()).any()


def test_lru_cache_drops_the_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_lru_cache_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LruCache[str, int](0)


def test_image_textures_stay_bounded_when_image_sizes_keep_changing() -> None:
    display = PygameDisplay((64, 48), headless=True)
    display.open()
    try:
        for size in range(8, 8 + 3 * IMAGE_CACHE_SIZE):
            display.draw_image(np.zeros((size, size, 3), dtype=np.uint8))
            display.present()
        assert display.cache_sizes()["image"] == IMAGE_CACHE_SIZE
        display.draw_image(np.full((4, 4, 3), 255, dtype=np.uint8), fit="stretch")
        assert display.snapshot()[24, 32].tolist() == [255, 255, 255]
    finally:
        display.close()
