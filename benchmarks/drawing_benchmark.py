"""Micro-benchmark of the canvas drawing calls and the stats overlay on a headless display.

    SDL_VIDEODRIVER=dummy .venv/bin/python benchmarks/drawing_benchmark.py [--frames 300]

Prints JSON: the median µs per call of each kind, per game-board frame (a 3x3 board: 2 rects,
4 thick lines, 5 circles, 5 texts) and per overlay draw, at 960x540 and 1920x1080. ``calls``
is the CPU time of the drawing calls themselves (what the frame loop pays on any renderer);
``present`` is SDL's software renderer rasterising the frame, which a GPU renderer does not do
on the CPU, so it is an upper bound for a headless run only.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from installation.canvas import Canvas
from installation.events import InputReceived
from installation.loop.overlay import StatsOverlay
from installation.outputs.display import PygameDisplay, opened

BACKGROUND = (12, 14, 20)
GRID = (235, 235, 235)
O_COLOUR = (90, 200, 255)
X_COLOUR = (255, 170, 60)


def board_geometry(canvas: Canvas) -> tuple[float, float, float, float]:
    """(left, top, cell, unit) of a 3x3 board centred on the canvas, scaled to its height."""
    width, height = canvas.size
    unit = height / 540
    cell = 100 * unit
    return (width - 3 * cell) / 2, (height - 3 * cell) / 2 + 20 * unit, cell, unit


def draw_board(canvas: Canvas, *, slanted_crosses: bool = False) -> None:
    """A tic-tac-toe position: 2 rects, 4 lines, 5 circles, 5 texts (plus 6 slanted lines
    for the crosses when ``slanted_crosses``, instead of the letter X)."""
    left, top, cell, unit = board_geometry(canvas)
    side = 3 * cell
    canvas.draw_rect(
        (left - 16 * unit, top - 16 * unit, side + 32 * unit, side + 32 * unit),
        (0, 0, 0),
        alpha=0.55,
    )
    canvas.draw_rect((left + cell, top + cell, cell, cell), (255, 255, 255), alpha=0.12)
    thick = max(2, round(5 * unit))
    for i in (1, 2):
        canvas.draw_line((left + i * cell, top), (left + i * cell, top + side), GRID, width=thick)
        canvas.draw_line((left, top + i * cell), (left + side, top + i * cell), GRID, width=thick)
    for column, row in ((0, 0), (1, 1), (2, 2), (2, 0)):
        centre = (left + (column + 0.5) * cell, top + (row + 0.5) * cell)
        canvas.draw_circle(centre, 34 * unit, O_COLOUR, width=max(2, round(7 * unit)))
    canvas.draw_text("tic-tac-toe", (canvas.size[0] / 2, top - 28 * unit), GRID,
                     size=round(30 * unit), anchor="bottom")  # fmt: skip
    for column, row in ((1, 0), (0, 1), (1, 2)):
        centre = (left + (column + 0.5) * cell, top + (row + 0.5) * cell)
        if slanted_crosses:
            arm = 30 * unit
            for dx in (-arm, arm):
                start = (centre[0] - dx, centre[1] - arm)
                end = (centre[0] + dx, centre[1] + arm)
                canvas.draw_line(start, end, X_COLOUR, width=max(2, round(7 * unit)))
        else:
            canvas.draw_text("X", centre, X_COLOUR, size=round(80 * unit), anchor="center")
    status_y = top + side + 30 * unit
    canvas.draw_circle((canvas.size[0] / 2 - 70 * unit, status_y), 8 * unit, X_COLOUR)
    canvas.draw_text("X to play", (canvas.size[0] / 2 - 52 * unit, status_y), GRID,
                     size=round(26 * unit), anchor="left")  # fmt: skip


def busy_overlay(jittery: bool) -> StatsOverlay:
    """A visible overlay with a full history: steady 33.3 ms, or every interval different."""
    overlay = StatsOverlay(30, {"lava": "CPUExecutionProvider", "rainbow": "CUDAExecutionProvider"})
    overlay.toggle()
    for i in range(overlay.history):
        wobble = ((i * 7) % 11 - 5) * 0.9 if jittery else 0.0
        overlay.frame(60.0 if i % 37 == 0 else 33.3 + wobble)
    overlay.saw([InputReceived("keyboard", "space")], 100.0)
    return overlay


def median_us(samples: list[int]) -> float:
    return round(statistics.median(samples) / 1000, 2)


def time_frames(
    display: PygameDisplay, draw: Callable[[int], None], frames: int
) -> dict[str, float]:
    """Median µs of the drawing calls and of ``present`` over ``frames`` frames."""
    calls, present = [], []
    for frame in range(frames + 10):
        display.clear(BACKGROUND)
        start = time.perf_counter_ns()
        draw(frame)
        middle = time.perf_counter_ns()
        display.present()
        end = time.perf_counter_ns()
        if frame >= 10:  # the first frames fill the caches
            calls.append(middle - start)
            present.append(end - middle)
    return {"calls": median_us(calls), "present": median_us(present)}


def per_call(display: PygameDisplay, frames: int) -> dict[str, float]:
    """Median µs of one call of each kind (50 calls per frame, divided)."""
    each = 50
    kinds: dict[str, Callable[[int], None]] = {
        "rect_filled_alpha": lambda i: display.draw_rect((40, 40, 80, 60), GRID, alpha=0.5),
        "rect_outline": lambda i: display.draw_rect((40, 40, 80, 60), GRID, width=3),
        "line_1px": lambda i: display.draw_line((10, 10), (200, 90), GRID),
        "line_thick_axis": lambda i: display.draw_line((10, 50), (300, 50), GRID, width=8),
        "line_thick_slanted": lambda i: display.draw_line((10, 10), (200, 90), GRID, width=8),
        "circle_cached": lambda i: display.draw_circle((100, 100), 40, O_COLOUR, width=6),
        "text_cached": lambda i: display.draw_text("29.9 fps", (20, 20), GRID, size=24),
        # A new string every call: font rendering plus a texture upload (and an LRU eviction).
        "text_new_each_call": lambda i: display.draw_text(f"{i} fps", (20, 20), GRID, size=24),
    }
    return {
        name: round(time_frames(display, repeated(call, each), frames)["calls"] / each, 2)
        for name, call in kinds.items()
    }


def repeated(call: Callable[[int], None], times: int) -> Callable[[int], None]:
    """A frame of ``times`` calls, each given a number never given before."""
    counter = iter(range(10**12))

    def frame(_: int) -> None:
        for _ in range(times):
            call(next(counter))

    return frame


def overlay_figures(display: PygameDisplay, frames: int) -> dict[str, dict[str, float]]:
    steady, jittery = busy_overlay(jittery=False), busy_overlay(jittery=True)
    return {
        # Every bar the same height but the late ones: a few rectangles.
        "steady": time_frames(display, lambda i: steady.draw(display, 102.1), frames),
        # Every bar a different height from its neighbour: the most rectangles.
        "jittery": time_frames(display, lambda i: jittery.draw(display, 102.1), frames),
        # The "s ago" text changes each frame: a new text texture per frame.
        "changing_text": time_frames(
            display, lambda i: steady.draw(display, 100.0 + i / 10), frames
        ),
    }


def run(frames: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "frames": frames,
    }
    for size in ((960, 540), (1920, 1080)):
        with opened(PygameDisplay(size, headless=True)) as display:
            figures[f"{size[0]}x{size[1]}"] = {
                "driver": display.driver,
                "per_call_us": per_call(display, frames),
                "board_frame_us": time_frames(display, lambda i: draw_board(display), frames),
                "overlay_us": overlay_figures(display, frames),
                "caches_after": display.cache_sizes(),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames timed per figure")
    args = parser.parse_args()
    print(json.dumps(run(args.frames), indent=2))


if __name__ == "__main__":
    main()
