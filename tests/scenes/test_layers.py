"""Fading layers are blended at the images' size and drawn once, with the canvas's result."""

from __future__ import annotations

import numpy as np
import pytest

from installation.outputs.display import PygameDisplay, opened
from installation.scenes.layers import draw_layers, flatten, visible_layers
from tests.fakes import RecordingCanvas


def solid(level: int, size: int = 8) -> np.ndarray:
    return np.full((size, size, 3), level, dtype=np.uint8)


def test_hidden_layers_are_skipped() -> None:
    a, b, c = solid(10), solid(20), solid(30)
    assert visible_layers([(a, 1.0), (b, 0.0), (c, 0.5)]) == [(a, 1.0), (c, 0.5)]
    assert visible_layers([(a, 1.0), (b, 1.0), (c, 0.5)]) == [(b, 1.0), (c, 0.5)]
    assert visible_layers([(a, 0.5), (b, 2.0)]) == [(b, 1.0)]


def test_flatten_blends_like_the_over_operator() -> None:
    flat = flatten([(solid(0), 1.0), (solid(200), 0.5), (solid(100), 0.25)])
    assert flat is not None
    assert flat[0][0, 0, 0] == round((0 * 0.5 + 200 * 0.5) * 0.75 + 100 * 0.25)
    assert flat[1] == 1.0
    assert flatten([(solid(0), 1.0), (solid(9, size=4), 0.5)]) is None  # sizes differ
    assert flatten([]) is None


def test_a_see_through_stack_flattens_to_its_coverage() -> None:
    # 0 at 0.5, then 200 at 0.5: over a background B the layers give
    # B * 0.25 + 0 * 0.25 + 200 * 0.5, i.e. 0.75 coverage of the image 100 / 0.75.
    flat = flatten([(solid(0), 0.5), (solid(200), 0.5)])
    assert flat is not None
    image, coverage = flat
    assert coverage == pytest.approx(0.75)
    assert image[0, 0, 0] == round(200 * 0.5 / 0.75)
    for background in (0.0, 90.0, 255.0):
        layered = (background * 0.5 + 0 * 0.5) * 0.5 + 200 * 0.5
        assert background * (1 - coverage) + image[0, 0, 0] * coverage == pytest.approx(
            layered, abs=0.5
        )


def test_draw_layers_draws_one_image_or_falls_back_to_layers() -> None:
    canvas = RecordingCanvas()
    draw_layers(canvas, [(solid(0), 1.0), (solid(200), 0.5)], "cover")
    (drawn,) = canvas.of("image")
    assert drawn.alpha == 1.0 and drawn.fit == "cover" and drawn.image is not None
    assert drawn.image[0, 0, 0] == 100
    canvas.clear((0, 0, 0))
    draw_layers(canvas, [(solid(0), 0.5), (solid(200), 0.5)], "contain")  # crossfading scene
    (drawn,) = canvas.of("image")
    assert drawn.alpha == pytest.approx(0.75)
    canvas.clear((0, 0, 0))
    draw_layers(canvas, [(solid(0), 0.5), (solid(200, size=4), 0.5)], "contain")  # sizes differ
    assert [item.alpha for item in canvas.of("image")] == [0.5, 0.5]


@pytest.mark.parametrize("bottom", [1.0, 0.4])
@pytest.mark.parametrize("fit", ["contain", "cover", "stretch"])
def test_flattened_matches_layer_by_layer_on_the_real_renderer(fit: str, bottom: float) -> None:
    rng = np.random.default_rng(4)
    images = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(3)]
    layers = [(images[0], bottom), (images[1], 0.6), (images[2], 0.3)]
    background = (40, 120, 200)  # a see-through stack shows it
    with opened(PygameDisplay((96, 64), headless=True)) as display:
        display.clear(background)
        for image, alpha in layers:
            display.draw_image(image, alpha=alpha, fit=fit)  # type: ignore[arg-type]
        layered = display.snapshot().astype(int)
        display.present()
        display.clear(background)
        draw_layers(display, layers, fit)  # type: ignore[arg-type]
        flattened = display.snapshot().astype(int)
    # Same picture up to rounding: SDL truncates each 8-bit blend (the layered picture is about
    # 1.5 levels darker after three layers); flattening blends in float and rounds once.
    assert np.abs(layered - flattened).mean() < 2.5
    assert np.abs(layered - flattened).max() <= 6
