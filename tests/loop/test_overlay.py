"""The stats overlay: what it shows, when, in what colour, and that its memory stays fixed."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from installation.events import DeviceChanged, GazeSeen, InputReceived, NextScene, Trigger
from installation.loop.overlay import BAR, BUDGET_LINE, PANEL, WARNING, StatsOverlay
from installation.outputs.display import PygameDisplay, opened
from tests.fakes import Drawn, RecordingCanvas

BUDGET_MS = 1000 / 30
PROVIDERS = {"lava": "CPUExecutionProvider", "rainbow": "CUDAExecutionProvider"}


def visible_overlay(history: int = 150) -> StatsOverlay:
    overlay = StatsOverlay(30, PROVIDERS, history=history)
    overlay.toggle()
    return overlay


def drawn(
    overlay: StatsOverlay, now: float = 0.0, size: tuple[int, int] = (960, 540)
) -> RecordingCanvas:
    canvas = RecordingCanvas(size)
    canvas.clear((0, 0, 0))
    overlay.draw(canvas, now)
    return canvas


def bars(canvas: RecordingCanvas) -> list[Drawn]:
    return [item for item in canvas.of("rect") if item.colour in (BAR, WARNING)]


def text_with(canvas: RecordingCanvas, fragment: str) -> str:
    found = [text for text in canvas.texts() if fragment in text]
    assert len(found) == 1, canvas.texts()
    return found[0]


# Visibility -------------------------------------------------------------------------------


def test_hidden_overlay_draws_nothing() -> None:
    overlay = StatsOverlay(30, PROVIDERS)
    for _ in range(10):
        overlay.frame(BUDGET_MS)
    assert not overlay.visible
    assert drawn(overlay).drawn == []


def test_toggle_shows_and_hides() -> None:
    overlay = StatsOverlay(30, PROVIDERS)
    overlay.toggle()
    assert overlay.visible and drawn(overlay).drawn
    overlay.toggle()
    assert not overlay.visible and drawn(overlay).drawn == []


def test_the_panel_is_translucent_and_drawn_first() -> None:
    canvas = drawn(visible_overlay())
    first = canvas.drawn[0]
    assert first.what == "rect" and first.colour == PANEL and 0 < first.alpha < 1


# Fps --------------------------------------------------------------------------------------


def test_shows_the_measured_fps() -> None:
    overlay = visible_overlay()
    for _ in range(60):
        overlay.frame(40.0)
    assert text_with(drawn(overlay), "fps") == "25.0 fps"


def test_fps_is_measured_over_about_the_last_second() -> None:
    overlay = visible_overlay()
    for _ in range(100):
        overlay.frame(20.0)
    for _ in range(40):  # the last 2 seconds at 20 fps
        overlay.frame(50.0)
    assert overlay.measured_fps() == pytest.approx(20.0)
    assert text_with(drawn(overlay), "fps") == "20.0 fps"


def test_fps_before_any_frame_is_a_dash_and_the_first_frame_has_no_interval() -> None:
    overlay = visible_overlay()
    overlay.frame(None)
    assert overlay.measured_fps() is None
    assert text_with(drawn(overlay), "fps") == "-- fps"
    assert "target 30" in drawn(overlay).texts()


# Providers and last input -----------------------------------------------------------------


def test_shows_each_models_provider() -> None:
    canvas = drawn(visible_overlay())
    assert text_with(canvas, "lava") == "lava: CPU"
    assert text_with(canvas, "rainbow") == "rainbow: CUDA"


def test_last_input_is_none_yet_at_first() -> None:
    assert text_with(drawn(visible_overlay()), "input") == "input: none yet"


def test_last_input_says_what_and_how_long_ago() -> None:
    overlay = visible_overlay()
    overlay.saw([InputReceived("keyboard", "space")], 10.0)
    canvas = drawn(overlay, now=12.1)
    assert text_with(canvas, "input") == "input 2.1 s ago: keyboard: space"
    assert canvas.max_width["input 2.1 s ago: keyboard: space"] is not None  # cut to fit


def test_the_newest_input_wins_and_other_events_do_not_count() -> None:
    overlay = visible_overlay()
    overlay.saw(
        [InputReceived("keyboard", "a"), Trigger("keyboard"), InputReceived("osc", "/go")], 5.0
    )
    overlay.saw([NextScene()], 9.0)
    overlay.saw([], 9.5)
    assert overlay.last_input(10.0) == "5.0 s ago: osc: /go"


def test_a_device_change_is_an_input() -> None:
    overlay = visible_overlay()
    overlay.saw([DeviceChanged("gamepad 0", "Xbox pad", connected=False)], 1.0)
    assert overlay.last_input(1.0) == "0.0 s ago: gamepad 0: Xbox pad disconnected"


def test_long_inputs_are_cut_short() -> None:
    overlay = visible_overlay()
    overlay.saw([InputReceived("osc", "/" + "x" * 200)], 0.0)
    description = overlay.last_input(0.0)
    assert description.startswith("0.0 s ago: osc: /xxx") and description.endswith("...")
    assert len(description) < 50


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (59.9, "59.9 s ago"),
        (125, "2 min ago"),
        (3 * 3600, "3.0 h ago"),
        (20 * 86400, "20 days ago"),
    ],
)
def test_ages_stay_short_for_weeks(seconds: float, shown: str) -> None:
    overlay = visible_overlay()
    overlay.saw([InputReceived("keyboard", "q")], 0.0)
    assert overlay.last_input(seconds) == f"{shown}: keyboard: q"


# Sparkline --------------------------------------------------------------------------------


def test_late_frames_are_drawn_in_the_warning_colour() -> None:
    overlay = visible_overlay()
    for i in range(150):
        overlay.frame(60.0 if i == 140 else BUDGET_MS)
    canvas = drawn(overlay)
    warned = [item for item in bars(canvas) if item.colour == WARNING]
    assert len(warned) == 1
    (x, _, width, height), _ = warned[0].geometry
    on_time = [item for item in bars(canvas) if item.colour == BAR]
    assert all(height > item.geometry[0][3] for item in on_time)
    # The tenth bar from the right edge of the sparkline, which the newest bar ends.
    right = max(item.geometry[0][0] + item.geometry[0][2] for item in bars(canvas))
    assert right - x == pytest.approx(10 * width)


def test_frames_on_time_are_never_in_the_warning_colour() -> None:
    overlay = visible_overlay()
    for i in range(150):
        overlay.frame(BUDGET_MS * (1.0 + 0.4 * (i % 3) / 2))  # up to 1.4x the budget
    canvas = drawn(overlay)
    assert bars(canvas) and all(item.colour == BAR for item in bars(canvas))


def test_bar_heights_follow_the_intervals_and_the_budget_line_sits_at_half() -> None:
    overlay = visible_overlay(history=4)
    for interval in (BUDGET_MS, BUDGET_MS, 2 * BUDGET_MS, 0.5 * BUDGET_MS):
        overlay.frame(interval)
    canvas = drawn(overlay)
    heights = [item.geometry[0][3] for item in bars(canvas)]
    widths = [item.geometry[0][2] for item in bars(canvas)]
    full = heights[1]
    assert heights == [full / 2, full, full / 4]  # equal neighbours are one rectangle
    assert widths[0] == pytest.approx(2 * widths[1])
    budget = [item for item in canvas.of("line") if item.colour == BUDGET_LINE]
    assert len(budget) == 1
    (start, end, _) = budget[0].geometry
    bottom = bars(canvas)[0].geometry[0][1] + heights[0]
    assert start[1] == end[1] == pytest.approx(bottom - full / 2)


def test_the_sparkline_fills_from_the_right() -> None:
    overlay = visible_overlay(history=10)
    overlay.frame(BUDGET_MS)
    (only,) = bars(drawn(overlay))
    full_width = drawn(visible_overlay(history=10)).of("line")[0].geometry
    (start, end, _) = full_width
    (x, _, width, _), _ = only.geometry
    assert x + width == pytest.approx(end[0]) and width == pytest.approx((end[0] - start[0]) / 10)


def test_summary_counts_late_frames_and_the_worst() -> None:
    overlay = visible_overlay()
    for i in range(100):
        overlay.frame(80.0 if i % 25 == 0 else BUDGET_MS)
    assert "max 80 ms, 4 late of 100" in drawn(overlay).texts()


# Size -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(960, 540), (1920, 1080), (1280, 720)])
def test_everything_fits_in_the_top_left_of_the_canvas(size: tuple[int, int]) -> None:
    overlay = visible_overlay()
    for i in range(150):
        overlay.frame(200.0 if i % 10 == 0 else BUDGET_MS)
    canvas = drawn(overlay, size=size)
    (px, py, pw, ph), _ = canvas.drawn[0].geometry
    assert px > 0 and py > 0 and px + pw < size[0] / 2 and py + ph < size[1] / 2
    for item in canvas.of("rect")[1:]:
        (x, y, w, h), _ = item.geometry
        assert px <= x and x + w <= px + pw + 1e-6 and py <= y and y + h <= py + ph


def test_the_panel_scales_with_the_canvas_height() -> None:
    small, large = drawn(visible_overlay()), drawn(visible_overlay(), size=(1920, 1080))
    assert large.drawn[0].geometry[0][2] == pytest.approx(2 * small.drawn[0].geometry[0][2])
    small_sizes = [item.geometry[1] for item in small.of("text")]
    large_sizes = [item.geometry[1] for item in large.of("text")]
    assert large_sizes == [2 * s for s in small_sizes]
    assert min(small_sizes) >= 12  # readable at 960x540


# Memory -----------------------------------------------------------------------------------


OUR_FILES = (
    "*/installation/loop/overlay.py",
    "*/installation/canvas.py",
    "*/tests/fakes.py",
    "*/numpy/*",
)
"""Where what the overlay keeps is allocated. Not the whole tree: server threads that earlier
tests leave winding down (the fake networks' keep-alive handlers) allocate meanwhile."""


def test_memory_stays_fixed_over_100_000_frames() -> None:
    overlay = visible_overlay()
    canvas = RecordingCanvas((960, 540))
    rng = np.random.default_rng(0)
    intervals = (BUDGET_MS + rng.normal(0, 3, 100_000)).tolist()

    def run(frames: range) -> None:
        for i in frames:
            overlay.frame(intervals[i])
            if i % 100 == 0:
                overlay.saw([InputReceived("keyboard", f"key {i}")], i / 30)
                canvas.clear((0, 0, 0))
                overlay.draw(canvas, i / 30)

    run(range(10_000))  # numpy and the interpreter fill their small caches on the first calls
    tracemalloc.start()
    try:
        canvas.clear((0, 0, 0))  # the canvas holds the last frame's calls, not the overlay
        canvas.cleared = []  # ... and the fake's own list of every clear (a test's record)
        before = tracemalloc.take_snapshot()
        run(range(10_000, 100_000))
        canvas.clear((0, 0, 0))
        canvas.cleared = []
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    ours = [tracemalloc.Filter(True, pattern) for pattern in OUR_FILES]
    after, before = after.filter_traces(ours), before.filter_traces(ours)
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 16_000, growth  # a leak of even 8 bytes a frame would be 720 kB
    assert len(overlay.recent()) == 150


# Arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fps", "history"), [(0, 150), (-30, 150), (30, 1)])
def test_bad_arguments_are_refused(fps: float, history: int) -> None:
    with pytest.raises(ValueError):
        StatsOverlay(fps, PROVIDERS, history=history)


# On a real display ------------------------------------------------------------------------


def test_draws_on_a_headless_display() -> None:
    overlay = visible_overlay()
    for i in range(150):
        overlay.frame(60.0 if i == 149 else BUDGET_MS)
    overlay.saw([InputReceived("keyboard", "space")], 1.0)
    with opened(PygameDisplay((960, 540), headless=True)) as display:
        display.clear((255, 255, 255))
        overlay.draw(display, 3.0)
        shot = display.snapshot().astype(int)
    canvas = drawn(overlay, now=3.0)
    (px, py, pw, ph), _ = canvas.drawn[0].geometry
    panel = shot[round(py) : round(py + ph), round(px) : round(px + pw)]
    outside = np.ones(shot.shape[:2], dtype=bool)
    outside[round(py) : round(py + ph), round(px) : round(px + pw)] = False
    assert np.all(shot[outside] == 255)  # nothing drawn beyond the panel
    assert np.median(panel) < 128  # the dark panel, over white
    assert np.any(np.all(panel > 220, axis=-1))  # light text
    assert np.any(np.all(np.abs(panel - WARNING) <= 2, axis=-1))  # the late frame's bar
    assert np.any(np.all(np.abs(panel - BAR) <= 2, axis=-1))


def test_warm_up_draws_once_and_leaves_the_overlay_hidden() -> None:
    overlay = StatsOverlay(30.0, {"lava": "CPUExecutionProvider"})
    canvas = RecordingCanvas()
    overlay.warm_up(canvas)
    assert canvas.texts() and not overlay.visible
    canvas.clear((0, 0, 0))
    overlay.draw(canvas, 1.0)
    assert canvas.drawn == []


def test_the_panels_move_clear_of_what_the_scenes_keep_clear() -> None:
    overlay = visible_overlay()
    overlay.saw([GazeSeen("no_camera")], 0.0)
    canvas = RecordingCanvas((960, 540))
    overlay.draw(canvas, 0.0, keep_clear=[(0.0, 0.0, 960.0, 80.0)])  # a headline's band
    stats, camera = [d.geometry[0] for d in canvas.of("rect") if d.colour == PANEL][:2]
    assert stats[0] == 12 and stats[1] + stats[3] == 540 - 12  # bottom left
    assert camera[0] + camera[2] == 960 - 12 and camera[1] + camera[3] == 540 - 12
    canvas = RecordingCanvas((960, 540))
    overlay.draw(canvas, 0.0, keep_clear=[(0.0, 0.0, 960.0, 540.0)])  # nowhere is free
    stats, camera = [d.geometry[0] for d in canvas.of("rect") if d.colour == PANEL][:2]
    assert stats[:2] == (12, 12) and camera[0] + camera[2] == 960 - 12  # where they were
