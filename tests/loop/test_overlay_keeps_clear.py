"""The stats overlay never covers a scene's headline: the stage game on screen, the overlay
open (with the camera panel), at several screen sizes, through attract, play and result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from installation.app import build_director, offline_kit
from installation.canvas import Rect
from installation.events import Event, EventQueue, GameInput, GazeSeen, ToggleOverlay
from installation.loop.clock import ManualClock
from installation.loop.overlay import StatsOverlay
from installation.loop.runner import FrameRunner
from installation.loop.stats import RunStats
from installation.scenes.registry import load_show
from tests.fakes import Drawn, FakePolledSource, RecordingCanvas, fake_generator

STAGE = Path(__file__).parents[2] / "show_configs" / "stage.toml"
HEADLINES = ("Press any button to play", "The machine plays O", "Your move (X)")


class RecordingScreen(RecordingCanvas):
    """Keeps each presented frame's calls, and where the overlay's calls start in it."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(size)
        self.frames: list[tuple[list[Drawn], int | None]] = []
        self.overlay_from: int | None = None

    def clear(self, colour: tuple[int, int, int]) -> None:
        super().clear(colour)
        self.overlay_from = None

    def present(self) -> None:
        self.frames.append((list(self.drawn), self.overlay_from))


class MarkedOverlay(StatsOverlay):
    """The stats overlay, marking where its calls start on the recording screen."""

    def draw(self, canvas: Any, now: float, *args: Any, **kwargs: Any) -> None:
        if isinstance(canvas, RecordingScreen):
            canvas.overlay_from = len(canvas.drawn)
        super().draw(canvas, now, *args, **kwargs)


def intersects(a: Rect, b: Rect) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def headline_rect(item: Drawn, canvas_width: int) -> Rect:
    """The headline's box: the full width of the canvas (a fake canvas measures no text, so
    whatever its width) and its line's height, from where and how big it was drawn."""
    (_, y), size, anchor = item.geometry
    assert anchor == "top"
    return (0.0, y, float(canvas_width), size * 1.1)


@pytest.mark.parametrize("size", [(960, 540), (1280, 720), (1920, 1080), (1024, 768)])
def test_the_overlay_never_covers_the_stage_games_headline(size: tuple[int, int]) -> None:
    config = load_show(STAGE)
    director = build_director(config, {"rainbow": fake_generator()}, offline_kit(lambda e: None))
    clock = ManualClock()
    fps = 32.0
    opened: list[Event] = [ToggleOverlay(), GazeSeen("no_camera")]
    batches: list[list[Event]] = [opened] + [[] for _ in range(int(3 * fps))]
    batches.append([GameInput("cell", 0, "keyboard")])  # a visitor plays: X, then the agent
    events = EventQueue()
    window = FakePolledSource(batches)
    window.start(events.post)
    screen = RecordingScreen(size)
    overlay = MarkedOverlay(fps, {"rainbow": "CPUExecutionProvider"})
    runner = FrameRunner(screen, director, events, clock, RunStats(fps), [window], overlay)
    director.start(clock.now())
    runner.run(seconds=5.0)

    seen: set[str] = set()
    for drawn, overlay_from in screen.frames[1:]:
        assert overlay_from is not None  # the overlay is open on every frame
        stage, on_top = drawn[:overlay_from], drawn[overlay_from:]
        headlines = [d for d in stage if d.what == "text" and d.text in HEADLINES]
        panels = [d.geometry[0] for d in on_top if d.what == "rect"]
        panels += [d.geometry for d in on_top if d.what == "image" and d.geometry]
        assert len(panels) >= 2  # the stats panel and the camera panel
        assert "gaze: no camera" in [d.text for d in on_top if d.what == "text"]
        for item in headlines:
            seen.add(item.text or "")
            box = headline_rect(item, size[0])
            covered = [panel for panel in panels if intersects(panel, box)]
            assert not covered, f"{item.text!r} at {box} is under the overlay {covered}"
    assert seen == set(HEADLINES)
