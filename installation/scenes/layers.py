"""Drawing a stack of same-size images that fade over each other, as one image when possible.

A scene that fades images over each other (the rainbow's drift, the previous and the new
rainbow) could draw each as a full-screen texture; on a machine without a GPU, SDL's software
renderer then scales and blends every layer over the whole canvas, and frames that fade cost
two or three times as much as frames that do not, so frame times jump at every fade. Scaling
and alpha blending are both linear, so blending the layers first, at the images' own size (a
few hundred microseconds for 256 px), and drawing the result once gives the same picture at a
steady cost, and a scene that is itself fading in (a crossfade between scenes) draws one
see-through image instead of two. Layers hidden under an opaque one are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from installation.canvas import Canvas, Fit, Image

Layer = tuple[Image, float]
"""An image and its opacity, bottom layer first."""


def visible_layers(layers: Sequence[Layer]) -> list[Layer]:
    """The layers that show: none with opacity 0, none below the topmost opaque one."""
    shown = [(image, min(alpha, 1.0)) for image, alpha in layers if alpha > 0.0]
    for index in range(len(shown) - 1, -1, -1):
        if shown[index][1] >= 1.0:
            return shown[index:]
    return shown


def flatten(layers: Sequence[Layer]) -> Layer | None:
    """One image and opacity for a stack of same-size layers, bottom first; None when the sizes
    differ (or there are none).

    Drawn over any background, the result gives what drawing the layers one by one gives: its
    opacity is the stack's coverage, ``1 - prod(1 - a_i)``, and its image the layers blended by
    the over operator, premultiplied, divided by that coverage. A stack with an opaque bottom
    comes back opaque; a crossfading scene's see-through stack comes back as one image too.
    """
    if not layers:
        return None
    base, base_alpha = layers[0]
    if len(layers) == 1:
        return base, base_alpha
    if any(image.shape != base.shape for image, _ in layers):
        return None
    mix = base.astype(np.float32) * np.float32(base_alpha)
    coverage = base_alpha
    for image, alpha in layers[1:]:
        mix *= np.float32(1.0 - alpha)
        mix += image.astype(np.float32) * np.float32(alpha)
        coverage = coverage * (1.0 - alpha) + alpha
    if coverage <= 0.0:
        return None
    if coverage < 1.0:
        mix /= np.float32(coverage)
    flat: Image = np.clip(mix + 0.5, 0, 255).astype(np.uint8)
    return flat, coverage


def draw_layers(canvas: Canvas, layers: Sequence[Layer], fit: Fit) -> None:
    """Draw the stack: flattened into one image when possible, else layer by layer."""
    shown = visible_layers(layers)
    flat = flatten(shown)
    if flat is not None:
        image, alpha = flat
        canvas.draw_image(image, alpha=alpha, fit=fit)
        return
    for image, alpha in shown:
        canvas.draw_image(image, alpha=alpha, fit=fit)
