from __future__ import annotations

import pytest

from installation.loop.clock import ManualClock
from installation.loop.pacer import LEAD_MARGIN, FramePacer

FPS = 30.0
BUDGET = 1.0 / FPS


class RecordingClock(ManualClock):
    """A manual clock that remembers every moment it was asked to sleep until."""

    def __init__(self, start: float = 0.0) -> None:
        super().__init__(start)
        self.sleeps: list[float] = []

    def sleep_until(self, moment: float) -> None:
        self.sleeps.append(moment)
        super().sleep_until(moment)


# ManualClock ----------------------------------------------------------------------------


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(start=5.0)
    assert clock.now() == 5.0
    assert clock.now() == 5.0
    clock.advance(0.25)
    assert clock.now() == pytest.approx(5.25)
    clock.advance(0.0)
    assert clock.now() == pytest.approx(5.25)


def test_manual_clock_refuses_to_go_backwards() -> None:
    clock = ManualClock()
    clock.advance(1.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-0.5)
    assert clock.now() == 1.0


def test_manual_sleep_until_jumps_forward_but_never_back() -> None:
    clock = ManualClock()
    clock.sleep_until(2.0)
    assert clock.now() == 2.0
    clock.sleep_until(1.0)  # a moment in the past: no-op
    assert clock.now() == 2.0


# FramePacer -----------------------------------------------------------------------------


def test_first_deadline_is_one_budget_after_creation() -> None:
    clock = RecordingClock(start=10.0)
    pacer = FramePacer(clock, FPS)
    assert pacer.budget == pytest.approx(BUDGET)
    pacer.wait()
    assert clock.now() == pytest.approx(10.0 + BUDGET)


def test_deadlines_are_absolute_so_varying_work_does_not_drift() -> None:
    clock = RecordingClock()
    pacer = FramePacer(clock, FPS)
    frames = 3000
    for k in range(frames):
        # Work time varies between 0 and 0.9 budgets; each frame must still end on its deadline.
        clock.advance(BUDGET * ((k * 7) % 10) / 10.0)
        pacer.wait()
        assert clock.now() == pytest.approx((k + 1) * BUDGET, abs=1e-9)
    assert pacer.resyncs == 0
    assert clock.now() == pytest.approx(frames / FPS, abs=1e-9)  # 100 s, no drift
    assert clock.sleeps == pytest.approx([(k + 1) * BUDGET for k in range(frames)], abs=1e-9)


def test_a_frame_slightly_late_catches_up_without_resync() -> None:
    clock = RecordingClock()
    pacer = FramePacer(clock, FPS)
    clock.advance(1.5 * BUDGET)  # late for deadline 1, but less than a whole frame behind
    pacer.wait()
    assert clock.now() == pytest.approx(1.5 * BUDGET)
    assert pacer.resyncs == 0
    pacer.wait()  # deadline 2 is still on the original grid
    assert clock.now() == pytest.approx(2 * BUDGET)


def test_stall_longer_than_a_frame_resyncs_instead_of_bursting() -> None:
    clock = RecordingClock()
    pacer = FramePacer(clock, FPS)
    pacer.wait()
    pacer.wait()
    assert clock.now() == pytest.approx(2 * BUDGET)
    clock.advance(0.5)  # a stall of 15 frames
    stalled_at = clock.now()
    pacer.wait()  # returns at once ...
    assert clock.now() == pytest.approx(stalled_at)
    assert pacer.resyncs == 1
    # ... and the following frames are a full budget apart, not rushed out to catch up.
    moments = []
    for _ in range(5):
        pacer.wait()
        moments.append(clock.now())
    expected = [stalled_at + (i + 1) * BUDGET for i in range(5)]
    assert moments == pytest.approx(expected, abs=1e-9)
    assert pacer.resyncs == 1


def test_every_frame_after_a_stall_takes_a_budget() -> None:
    clock = ManualClock()
    pacer = FramePacer(clock, 60.0)
    clock.advance(3.0)
    pacer.wait()
    previous = clock.now()
    for _ in range(20):
        pacer.wait()
        assert clock.now() - previous == pytest.approx(1 / 60.0, abs=1e-9)
        previous = clock.now()


def test_repeated_stalls_count_resyncs() -> None:
    clock = ManualClock()
    pacer = FramePacer(clock, FPS)
    for _ in range(4):
        clock.advance(10 * BUDGET)
        pacer.wait()
        pacer.wait()
    assert pacer.resyncs == 4


def test_work_starts_lead_before_the_deadline_and_lead_follows_slow_frames() -> None:
    clock = RecordingClock()
    pacer = FramePacer(clock, FPS)
    assert pacer.lead == pytest.approx(LEAD_MARGIN)  # nothing measured yet
    pacer.wait_to_start()
    assert clock.now() == pytest.approx(BUDGET - LEAD_MARGIN)
    pacer.worked(0.010)
    pacer.wait()
    assert clock.now() == pytest.approx(BUDGET) and pacer.deadline == pytest.approx(2 * BUDGET)
    assert pacer.lead == pytest.approx(0.010 + LEAD_MARGIN)
    pacer.worked(1.0)  # a stall never makes the lead longer than 0.75 budgets
    assert pacer.lead == pytest.approx(0.75 * BUDGET)
    for _ in range(pacer.window):  # the slow frames leave the window again
        pacer.worked(0.001)
    assert pacer.lead == pytest.approx(0.001 + LEAD_MARGIN)


def test_wait_to_start_never_waits_when_already_late() -> None:
    clock = RecordingClock()
    pacer = FramePacer(clock, FPS)
    clock.advance(BUDGET)
    pacer.wait_to_start()
    assert clock.sleeps == [] and clock.now() == pytest.approx(BUDGET)
