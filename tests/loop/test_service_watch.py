"""The frame loop's notifications to systemd, with a fake notifier and a manual clock: READY
after the first present, pings only from the loop (a frozen loop stops them), STATUS, STOPPING."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from installation.events import Event, EventQueue, QuitRequested
from installation.loop.clock import ManualClock
from installation.loop.runner import FrameRunner
from installation.loop.service_watch import PROBLEM_SHOWN_FOR, LastProblem, ServiceWatch
from installation.loop.stats import RunStats
from tests.loop.test_runner import FakeScreen, FakeStage


@dataclass
class FakeNotifier:
    """Records each message with the clock's time, the thread it came from, and how many
    frames the screen had presented when it was sent."""

    clock: ManualClock
    screen: FakeScreen
    watchdog_seconds: float | None = 10.0
    sent: list[tuple[str, float, int, str | None]] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)

    def _record(self, kind: str, status: str | None) -> None:
        self.threads.add(threading.get_ident())
        self.sent.append((kind, self.clock.now(), len(self.screen.presents), status))

    def ready(self, status: str) -> None:
        self._record("READY", status)

    def watchdog(self, status: str | None = None) -> None:
        self._record("WATCHDOG", status)

    def status(self, status: str) -> None:
        self._record("STATUS", status)

    def stopping(self, status: str) -> None:
        self._record("STOPPING", status)

    def kinds(self) -> list[str]:
        return [kind for kind, *_ in self.sent]


def watched_runner(
    watchdog: float | None = 10.0, stage: FakeStage | None = None, fps: float = 32.0
) -> tuple[FrameRunner, FakeNotifier, ManualClock, EventQueue]:
    clock = ManualClock()
    screen = FakeScreen(clock)
    notifier = FakeNotifier(clock, screen, watchdog)
    watch = ServiceWatch(notifier, lambda: "lava lamp", status_seconds=3.0)
    events = EventQueue()
    stage = stage or FakeStage()
    runner = FrameRunner(screen, stage, events, clock, RunStats(fps), service=watch)
    return runner, notifier, clock, events


def test_ready_once_after_the_first_present_then_pings_and_stopping() -> None:
    runner, notifier, _, _ = watched_runner(watchdog=10.0)
    runner.run(seconds=10.0)
    kinds = notifier.kinds()
    assert kinds[0] == "READY" and kinds.count("READY") == 1
    _, at, presented, status = notifier.sent[0]
    assert (at, presented) == (0.0, 1)  # sent once the first frame was on screen, not before
    assert status == "scene lava lamp, first frame on screen, ok"
    assert kinds[-1] == "STOPPING" and kinds.count("STOPPING") == 1
    assert notifier.sent[-1][3] == "stopping: 10 s elapsed"
    assert set(kinds[1:-1]) == {"WATCHDOG"}
    # A ping a second (the watchdog is 10 s: a quarter would be 2.5 s; a second at most).
    pings = [at for kind, at, *_ in notifier.sent if kind in ("READY", "WATCHDOG")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    assert len(pings) == 11  # 0 s to 10 s: the frame at 10 s ends the run
    assert all(1.0 <= gap <= 1.0 + 1 / 32 for gap in gaps), gaps


def test_status_names_the_scene_and_fps_every_few_seconds() -> None:
    runner, notifier, _, _ = watched_runner(watchdog=10.0)
    runner.run(seconds=10.0)
    statuses = [
        (at, status) for kind, at, _, status in notifier.sent if status and kind != "STOPPING"
    ]
    assert [status for _, status in statuses[1:]] == ["scene lava lamp, 32.0 fps, ok"] * 3
    assert [at for at, _ in statuses] == [0.0, 3.0, 6.0, 9.0]


def test_a_short_watchdog_is_pinged_four_times_per_interval() -> None:
    runner, notifier, _, _ = watched_runner(watchdog=1.0)
    runner.run(seconds=2.0)
    pings = [at for kind, at, *_ in notifier.sent if kind in ("READY", "WATCHDOG")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(pings)]
    assert max(gaps) <= 0.5  # half the watchdog, even a frame late
    assert min(gaps) >= 0.25


def test_without_a_watchdog_only_ready_status_and_stopping() -> None:
    runner, notifier, _, _ = watched_runner(watchdog=None)
    runner.run(seconds=4.0)
    assert notifier.kinds() == ["READY", "STATUS", "STOPPING"]


def test_a_failing_loop_still_says_stopping() -> None:
    def explode(update: int) -> None:
        if update == 3:
            raise RuntimeError("scene broke")

    runner, notifier, _, _ = watched_runner(stage=FakeStage(explode))
    with pytest.raises(RuntimeError):
        runner.run(seconds=10.0)
    assert notifier.sent[-1][0] == "STOPPING"
    assert notifier.sent[-1][3] == "stopping: error"


class FreezingStage(FakeStage):
    """A scene whose update blocks on an event from its ``freeze_at``-th update: a hung loop."""

    def __init__(self, freeze_at: int) -> None:
        super().__init__()
        self.freeze_at = freeze_at
        self.frozen = threading.Event()
        self.thaw = threading.Event()

    def update(self, now: float, events: Sequence[Event]) -> None:
        super().update(now, events)
        if len(self.updates) == self.freeze_at:
            self.frozen.set()
            self.thaw.wait(timeout=30.0)


def test_a_frozen_loop_stops_pinging() -> None:
    stage = FreezingStage(freeze_at=100)  # ~3 s into the show
    runner, notifier, clock, events = watched_runner(watchdog=10.0, stage=stage)
    loop = threading.Thread(target=runner.run, name="frame-loop", daemon=True)
    loop.start()
    assert stage.frozen.wait(timeout=10.0)
    sent_before = len(notifier.sent)
    froze_at = clock.now()
    # A minute passes while the loop hangs; nothing else may ping for it.
    for _ in range(60):
        clock.advance(1.0)
        assert not stage.thaw.wait(timeout=0.005)
    assert len(notifier.sent) == sent_before
    assert all(at <= froze_at for _, at, *_ in notifier.sent)
    # systemd would have killed it by now; here the scene comes back: the frozen frame is
    # presented and pinged, and the next one ends the show.
    events.post(QuitRequested("test over"))
    stage.thaw.set()
    loop.join(timeout=10.0)
    assert not loop.is_alive()
    assert notifier.threads == {loop.ident}  # every message came from the frame loop
    assert notifier.kinds()[sent_before:] == ["WATCHDOG", "STOPPING"]


def test_last_problem_shows_an_error_for_ten_minutes() -> None:
    now = [100.0]
    problem = LastProblem(clock=lambda: now[0])
    logger = logging.getLogger("installation.test_service_watch")
    logger.addHandler(problem)
    try:
        assert problem.describe() == "ok"
        logger.warning("only a warning")
        assert problem.describe() == "ok"
        logger.error("gallery: could not save to %s: %s\nsecond line", "/media/x", "disk full")
        now[0] += 42.0
        assert (
            problem.describe() == "error 42 s ago: gallery: could not save to /media/x: disk full"
        )
        now[0] += PROBLEM_SHOWN_FOR
        assert problem.describe() == "ok"
    finally:
        logger.removeHandler(problem)
