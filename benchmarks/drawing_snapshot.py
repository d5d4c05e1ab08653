"""Draws a fake frame (an image, a tic-tac-toe board, the visible stats overlay) on a headless
1920x1080 display and saves it, to look at the drawing calls as a viewer would.

    .venv/bin/python benchmarks/drawing_snapshot.py [--size 1920x1080] [-o PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from drawing_benchmark import BACKGROUND, busy_overlay, draw_board
from PIL import Image as PilImage

from installation.canvas import Image
from installation.events import InputReceived
from installation.outputs.display import PygameDisplay, opened

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "images" / "overlay_and_drawing.png"


def lava_like(size: int = 64) -> Image:
    """A soft purple-orange blob picture standing in for a model frame."""
    y, x = np.mgrid[0:size, 0:size] / size
    blob = np.exp(-((x - 0.4) ** 2 + (y - 0.55) ** 2) * 9) + np.exp(
        -((x - 0.7) ** 2 + (y - 0.3) ** 2) * 14
    )
    red = 60 + 190 * np.clip(blob, 0, 1)
    green = 20 + 90 * np.clip(blob - 0.3, 0, 1)
    blue = 90 + 40 * (1 - y)
    image = np.stack([red, green, blue], axis=-1)
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080", help="canvas WIDTHxHEIGHT")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    overlay = busy_overlay(jittery=True)
    overlay.saw([InputReceived("keyboard", "space")], 97.9)
    with opened(PygameDisplay((width, height), headless=True)) as display:
        display.clear(BACKGROUND)
        display.draw_image(lava_like(), fit="contain")
        draw_board(display, slanted_crosses=True)
        overlay.draw(display, 100.0)
        display.present()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        PilImage.fromarray(display.snapshot()).save(args.output)
    print(args.output)


if __name__ == "__main__":
    main()
