from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from installation.canvas import Canvas, Rect
from installation.events import (
    DeviceChanged,
    Event,
    EventQueue,
    InputReceived,
    NextScene,
    QuitRequested,
    ShowHeartbeat,
    ToggleOverlay,
    Trigger,
)
from installation.loop.clock import ManualClock
from installation.loop.overlay import StatsOverlay
from installation.loop.pacer import LEAD_MARGIN
from installation.loop.runner import FrameRunner
from installation.loop.stats import RunStats
from tests.fakes import FakePolledSource, RecordingCanvas


class FakeScreen(RecordingCanvas):
    """A recording canvas that also records when each frame was presented."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__((64, 48))
        self.clock = clock
        self.presents: list[float] = []

    def present(self) -> None:
        self.presents.append(self.clock.now())


class FakeStage:
    """Records updates; ``on_update`` can act (post events, take time) after each one."""

    def __init__(self, on_update: Callable[[int], None] | None = None) -> None:
        self.updates: list[tuple[float, list[Event]]] = []
        self.draws = 0
        self.on_update = on_update

    def update(self, now: float, events: Sequence[Event]) -> None:
        self.updates.append((now, list(events)))
        if self.on_update is not None:
            self.on_update(len(self.updates))

    def draw(self, canvas: Canvas) -> None:
        self.draws += 1
        canvas.clear((1, 2, 3))

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        return []


def make_runner(
    fps: float = 32.0,
    batches: Sequence[Sequence[Event]] = (),
    on_update: Callable[[int], None] | None = None,
    overlay: StatsOverlay | None = None,
) -> tuple[FrameRunner, FakeScreen, FakeStage, ManualClock]:
    clock = ManualClock()
    screen = FakeScreen(clock)
    stage = FakeStage(on_update)
    events = EventQueue()
    window = FakePolledSource(batches)
    window.start(events.post)
    runner = FrameRunner(screen, stage, events, clock, RunStats(fps), [window], overlay)
    return runner, screen, stage, clock


def test_runs_until_seconds_have_passed() -> None:
    runner, screen, stage, clock = make_runner(fps=32.0)  # 1/32 s is exact in binary
    runner.run(seconds=1.0)
    # Frames at 0, 1/32, ..., 32/32: the one at 1.0 s ends the run.
    assert len(screen.presents) == 33
    assert screen.presents == pytest.approx([k / 32 for k in range(33)])
    assert stage.draws == 33
    assert runner.stats.frames == 33
    assert runner.stats.duration_s == pytest.approx(1.0)
    assert runner.quit_reason == "1 s elapsed"
    assert clock.now() == pytest.approx(1.0)


def test_runs_about_seconds_at_thirty_fps() -> None:
    runner, screen, _, clock = make_runner(fps=30.0)
    runner.run(seconds=2.0)
    assert 61 <= len(screen.presents) <= 62
    assert clock.now() >= 2.0 - 1e-9
    assert runner.stats.duration_s == pytest.approx(2.0, abs=1 / 30)


def test_frames_are_recorded_with_their_intervals() -> None:
    runner, _, _, _ = make_runner(fps=32.0)
    runner.run(seconds=0.5)
    stats = runner.stats
    assert stats.frames == 17
    assert len(stats.frame_intervals_ms) == 16  # the first frame has no interval
    assert stats.frame_intervals_ms == pytest.approx([1000.0 / 32] * 16)
    assert len(stats.loop_cpu_ms) == 17
    assert stats.late_frames == 0


def test_slow_frames_are_counted_late() -> None:
    clock_box: list[ManualClock] = []

    def slow_every_fifth(update: int) -> None:
        if update % 5 == 0:
            clock_box[0].advance(0.1)  # three budgets of work

    runner, _, stage, clock = make_runner(fps=30.0, on_update=slow_every_fifth)
    clock_box.append(clock)
    runner.run(seconds=2.0)
    slow = len(stage.updates) // 5
    assert slow >= 5
    assert runner.stats.late_frames == slow
    late = [i for i in runner.stats.frame_intervals_ms if i > 50.0]
    # Each slow frame started at most 0.75 budgets early (its lead), so it is at least
    # 100 ms - 25 ms after the previous present.
    assert len(late) == slow and all(interval >= 100.0 for interval in late)


def test_quit_posted_to_the_event_queue_stops_the_loop() -> None:
    box: list[FrameRunner] = []

    def quit_on_fifth(update: int) -> None:
        if update == 5:
            box[0].events.post(QuitRequested("operator"))

    runner, screen, stage, _ = make_runner(on_update=quit_on_fifth)
    box.append(runner)
    runner.run(seconds=None)
    assert runner.quit_reason == "operator"
    assert len(stage.updates) == 5
    assert len(screen.presents) == 5  # the quitting frame is not drawn
    assert runner.stats.frames == 5
    # The quitting frame began its work ``lead`` before its deadline.
    assert runner.stats.duration_s == pytest.approx(5 / 32, abs=LEAD_MARGIN + 1e-9)


def test_quit_from_the_window_stops_before_drawing() -> None:
    runner, screen, stage, _ = make_runner(batches=[[], [QuitRequested("window closed")]])
    runner.run()
    assert runner.quit_reason == "window closed"
    assert len(stage.updates) == 1
    assert len(screen.presents) == 1
    polled = runner.polled[0]
    assert isinstance(polled, FakePolledSource) and len(polled.polls) == 2


def test_quit_already_waiting_means_no_frames() -> None:
    runner, screen, stage, _ = make_runner()
    runner.events.post(QuitRequested("signal"))
    runner.run(seconds=10.0)
    assert runner.quit_reason == "signal"
    assert stage.updates == []
    assert screen.presents == []
    assert runner.stats.frames == 0


def test_window_and_queued_events_reach_the_stage_once() -> None:
    pressed = InputReceived("keyboard", "space")
    batches: list[list[Event]] = [[pressed, Trigger("keyboard")], [], [NextScene()]]
    box: list[FrameRunner] = []

    def post_from_an_input_thread(update: int) -> None:
        if update == 1:
            box[0].events.post(Trigger("osc"))

    runner, _, stage, _ = make_runner(batches=batches, on_update=post_from_an_input_thread)
    box.append(runner)
    runner.events.post(Trigger("early"))
    runner.run(seconds=4 / 32)
    seen = [events for _, events in stage.updates]
    assert seen[0] == [Trigger("early"), pressed, Trigger("keyboard")]
    assert seen[1] == [Trigger("osc")]
    assert seen[2] == [NextScene()]
    assert seen[3] == [] and seen[4] == []


def test_stage_gets_the_clock_time_and_draws_on_the_screen() -> None:
    runner, screen, stage, _ = make_runner(fps=32.0)
    runner.run(seconds=3 / 32)
    assert [now for now, _ in stage.updates] == pytest.approx([0, 1 / 32, 2 / 32, 3 / 32])
    assert screen.cleared == [(1, 2, 3)] * 4


def test_run_starts_from_the_clock_time_now() -> None:
    runner, screen, _, clock = make_runner(fps=32.0)
    clock.advance(100.0)
    runner.run(seconds=0.25)
    assert screen.presents[0] == pytest.approx(100.0)
    assert screen.presents[-1] == pytest.approx(100.25)
    assert runner.stats.duration_s == pytest.approx(0.25)


def test_overlay_toggles_sees_inputs_and_draws_over_the_stage() -> None:
    overlay = StatsOverlay(32.0, {"lava": "CPUExecutionProvider"})
    batches: list[list[Event]] = [[], [ToggleOverlay(), InputReceived("gamepad 1", "button a")]]
    runner, screen, _, _ = make_runner(batches=batches, overlay=overlay)
    runner.run(seconds=3 / 32)
    assert overlay.visible
    assert screen.cleared[-1] == (1, 2, 3)  # the stage drew first ...
    texts = " ".join(screen.texts())  # ... then the overlay on top of it
    assert "lava: CPU" in texts and "gamepad 1: button a" in texts


def test_device_changes_are_counted() -> None:
    plugged = DeviceChanged("gamepad 1", "pad", connected=True)
    pulled = DeviceChanged("gamepad 1", "pad", connected=False)
    runner, _, _, _ = make_runner(batches=[[plugged], [], [pulled, plugged]])
    runner.run(seconds=3 / 32)
    assert runner.stats.counters() == {"devices_connected": 2, "devices_removed": 1}


def test_frames_present_on_their_deadlines_however_long_their_work_takes() -> None:
    """Work that varies from frame to frame starts earlier, not later: presents stay on the grid."""
    clock_box: list[ManualClock] = []

    def varying_work(update: int) -> None:
        clock_box[0].advance(((update * 7) % 10) / 1000.0)  # 0 to 9 ms of work

    runner, screen, stage, clock = make_runner(fps=32.0, on_update=varying_work)
    clock_box.append(clock)
    runner.run(seconds=2.0)
    assert screen.presents[1:] == pytest.approx([k / 32 for k in range(1, 65)], abs=1e-9)
    assert runner.stats.late_frames == 0
    # Each frame depicts the moment it is shown: the stage is given the deadline as "now".
    assert [now for now, _ in stage.updates[1:]] == pytest.approx(screen.presents[1:])


def test_a_heartbeat_is_published_once_a_beat_and_presents_are_reported() -> None:
    clock = ManualClock()
    published: list[Event] = []
    presented: list[float] = []
    stats = RunStats(32.0)
    stats.count("osc_applied", 3)
    runner = FrameRunner(
        FakeScreen(clock),
        FakeStage(),
        EventQueue(),
        clock,
        stats,
        publish=published.append,
        presented=presented.append,
        heartbeat_seconds=0.5,
    )
    runner.run(2.0)
    beats = [event for event in published if isinstance(event, ShowHeartbeat)]
    assert len(beats) == 4
    assert beats[-1].counters == {"osc_applied": 3}
    assert beats[1].frames - beats[0].frames == 16 and beats[1].fps == pytest.approx(32.0)
    assert beats[-1].uptime_s == pytest.approx(2.0, abs=0.05)
    assert len(presented) == stats.frames  # one report per present
