from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from installation.canvas import Fit
from installation.outputs.display import PygameDisplay, opened
from installation.outputs.geometry import fitted_rect

BACKGROUND = (10, 20, 30)
ORANGE = (200, 100, 50)


def solid(width: int, height: int, colour: tuple[int, int, int] = ORANGE) -> np.ndarray:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = colour
    return image


@pytest.fixture
def display() -> Iterator[PygameDisplay]:
    with opened(PygameDisplay((80, 40), headless=True)) as screen:
        yield screen


# fitted_rect ----------------------------------------------------------------------------


def test_contain_keeps_aspect_with_bars_at_the_sides() -> None:
    assert fitted_rect((20, 20), (80, 40), "contain") == (20, 0, 40, 40)


def test_contain_keeps_aspect_with_bars_above_and_below() -> None:
    assert fitted_rect((100, 25), (80, 40), "contain") == (0, 10, 80, 20)


def test_contain_scales_down_and_up() -> None:
    assert fitted_rect((1920, 1080), (960, 540), "contain") == (0, 0, 960, 540)
    assert fitted_rect((64, 64), (1280, 720), "contain") == (280, 0, 720, 720)


def test_cover_fills_the_canvas_and_crops_evenly() -> None:
    assert fitted_rect((20, 20), (80, 40), "cover") == (0, -20, 80, 80)
    assert fitted_rect((64, 64), (1280, 720), "cover") == (0, -280, 1280, 1280)


def test_stretch_fills_the_canvas_exactly() -> None:
    assert fitted_rect((20, 20), (80, 40), "stretch") == (0, 0, 80, 40)
    assert fitted_rect((7, 300), (80, 40), "stretch") == (0, 0, 80, 40)


@pytest.mark.parametrize("image", [(3, 5), (640, 480), (33, 77)])
@pytest.mark.parametrize("canvas", [(960, 540), (100, 100), (31, 67)])
def test_contain_fits_inside_and_cover_covers(
    image: tuple[int, int], canvas: tuple[int, int]
) -> None:
    x, y, w, h = fitted_rect(image, canvas, "contain")
    assert x >= 0 and y >= 0 and x + w <= canvas[0] and y + h <= canvas[1]
    assert w == canvas[0] or h == canvas[1]
    x, y, w, h = fitted_rect(image, canvas, "cover")
    assert x <= 0 and y <= 0 and x + w >= canvas[0] and y + h >= canvas[1]
    assert w == canvas[0] or h == canvas[1]


# Drawing --------------------------------------------------------------------------------


def test_headless_display_has_the_render_size(display: PygameDisplay) -> None:
    assert display.size == (80, 40)
    assert display.snapshot().shape == (40, 80, 3)
    assert display.driver == "dummy"
    assert not display.fullscreen


def test_contain_draws_centred_with_background_bars(display: PygameDisplay) -> None:
    display.clear(BACKGROUND)
    display.draw_image(solid(20, 20), fit="contain")
    display.present()
    shot = display.snapshot()
    assert shot.dtype == np.uint8
    assert np.all(shot[:, 20:60] == ORANGE)
    assert np.all(shot[:, :20] == BACKGROUND)
    assert np.all(shot[:, 60:] == BACKGROUND)


def test_image_is_not_transposed_or_mirrored(display: PygameDisplay) -> None:
    image = solid(40, 20, (255, 0, 0))
    image[:, 20:] = (0, 0, 255)  # right half blue
    image[10:, :20] = (0, 255, 0)  # bottom-left green
    display.clear(BACKGROUND)
    display.draw_image(image, fit="contain")  # exactly 2x: fills 80x40
    shot = display.snapshot()
    assert tuple(shot[5, 5]) == (255, 0, 0)
    assert tuple(shot[35, 5]) == (0, 255, 0)
    assert tuple(shot[5, 75]) == (0, 0, 255)
    assert tuple(shot[35, 75]) == (0, 0, 255)


def test_cover_and_stretch_leave_no_background(display: PygameDisplay) -> None:
    fits: tuple[Fit, ...] = ("cover", "stretch")
    for fit in fits:
        display.clear(BACKGROUND)
        display.draw_image(solid(20, 20), fit=fit)
        assert np.all(display.snapshot() == ORANGE), fit


def test_alpha_half_blends_over_the_background(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_image(solid(20, 20, (200, 100, 50)), alpha=0.5)
    shot = display.snapshot().astype(int)
    centre = shot[20, 40]
    assert np.all(np.abs(centre - (100, 50, 25)) <= 2)
    assert tuple(shot[20, 5]) == (0, 0, 0)


def test_alpha_half_blends_two_images(display: PygameDisplay) -> None:
    display.clear(BACKGROUND)
    display.draw_image(solid(80, 40, (0, 0, 200)))  # same size as the canvas: no scaling
    display.draw_image(solid(80, 40, (200, 0, 0)), alpha=0.5)
    centre = display.snapshot()[20, 40].astype(int)
    assert np.all(np.abs(centre - (100, 0, 100)) <= 2)


def test_full_alpha_after_a_fade_is_opaque_again(display: PygameDisplay) -> None:
    display.clear((0, 0, 0))
    display.draw_image(solid(20, 20), alpha=0.25)
    display.clear((0, 0, 0))
    display.draw_image(solid(20, 20), alpha=1.0)  # reuses the cached scaled surface
    assert tuple(display.snapshot()[20, 40]) == ORANGE


def test_zero_alpha_draws_nothing(display: PygameDisplay) -> None:
    display.clear(BACKGROUND)
    display.draw_image(solid(20, 20), alpha=0.0)
    assert np.all(display.snapshot() == BACKGROUND)


def test_non_contiguous_images_are_drawn(display: PygameDisplay) -> None:
    image = solid(40, 40)[::2, ::2]  # a strided view
    display.clear(BACKGROUND)
    display.draw_image(image)
    assert tuple(display.snapshot()[20, 40]) == ORANGE


# Lifecycle ------------------------------------------------------------------------------


def test_close_is_idempotent() -> None:
    screen = PygameDisplay((32, 32), headless=True)
    screen.open()
    screen.close()
    screen.close()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS (Linux)")
def test_frame_grabs_do_not_leak() -> None:
    """pygame 2.6's Renderer.to_surface() with no surface of ours leaks the one it makes:
    3.7 MB per grab at 1280x720, the posting path's growth in the full rig (a frame posted
    every 20 s). 40 grabs would leak about 150 MB; ours are freed with their images."""
    with opened(PygameDisplay((1280, 720), headless=True)) as screen:
        screen.clear((10, 20, 30))
        screen.grab()()  # the first grab's one-off allocations
        before = _rss_mb()
        for _ in range(40):
            image = screen.grab()()
        assert image.shape == (720, 1280, 3) and tuple(image[5, 5]) == (10, 20, 30)
        assert _rss_mb() - before < 40.0
