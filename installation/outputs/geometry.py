"""Where things go on the canvas and how much of a pixel a shape covers: pure arithmetic, no SDL.

The display (``outputs/display.py``) uses these to place images, text boxes and circles; they
are kept apart so they can be tested without a window.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from installation.canvas import Anchor, Fit, Point

# Where the anchor point sits in a text's box, as fractions of its width and height.
ANCHOR_FRACTIONS: dict[str, tuple[float, float]] = {
    "topleft": (0.0, 0.0),
    "top": (0.5, 0.0),
    "topright": (1.0, 0.0),
    "left": (0.0, 0.5),
    "center": (0.5, 0.5),
    "right": (1.0, 0.5),
    "bottomleft": (0.0, 1.0),
    "bottom": (0.5, 1.0),
    "bottomright": (1.0, 1.0),
}


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


def anchored_rect(
    position: Point, box_size: tuple[int, int], anchor: Anchor
) -> tuple[int, int, int, int]:
    """(x, y, width, height) of a box of (width, height) whose ``anchor`` point is ``position``."""
    width, height = box_size
    fx, fy = ANCHOR_FRACTIONS[anchor]
    return round(position[0] - fx * width), round(position[1] - fy * height), width, height


def disc_coverage(radius: float, width: int = 0) -> NDArray[np.uint8]:
    """Anti-aliased coverage (0-255) of a disc, or a ring ``width`` wide, centred in a square.

    The square is ``2 * ceil(radius) + 2`` pixels wide, its centre the circle's centre; each
    pixel's value is the share of it inside the shape, estimated from its centre's distance.
    """
    side = 2 * math.ceil(radius) + 2
    offsets = np.arange(side, dtype=np.float32) + 0.5 - side / 2
    distance = np.hypot(offsets[:, None], offsets[None, :])
    cover = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    if 0 < width < radius:
        cover = np.minimum(cover, np.clip(distance - (radius - width) + 0.5, 0.0, 1.0))
    coverage: NDArray[np.uint8] = (cover * 255 + 0.5).astype(np.uint8)
    return coverage
