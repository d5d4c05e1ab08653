"""The director and the opening hours: closed, the picture goes black and every scene rests
(deactivated, no events reach them); open again, the scene on screen comes back."""

from __future__ import annotations

from installation.events import (
    Blackout,
    Event,
    HoursChanged,
    OpeningHours,
    PingReceived,
    Pong,
    SetParameter,
    StatusReport,
    StatusRequested,
    Trigger,
)
from installation.scenes.director import BLACKOUT_SECONDS
from tests.fakes import FakeScene, RecordingCanvas
from tests.scenes.test_director import FPS, make, run_frames

FADE_FRAMES = int(BLACKOUT_SECONDS * FPS) + 1
CLOSED = OpeningHours(False, "closed at 18:00")
OPEN = OpeningHours(True, "open until 18:00")


def test_closing_fades_to_black_then_deactivates_every_scene_and_opening_comes_back() -> None:
    a, b = FakeScene("a"), FakeScene("b", show_on_trigger=False, busy_for=100)
    director, clock, emitted = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 2, {0: [OPEN], 1: [Trigger("osc", target="b")]})
    assert b.active and emitted[-1] == HoursChanged(True, "open until 18:00", first=True)
    run_frames(director, clock, 1, {0: [CLOSED]})
    assert emitted[-1] == HoursChanged(False, "closed at 18:00")
    assert director.closed and a.active  # still fading: the picture goes dark first
    canvas = RecordingCanvas((16, 16))
    run_frames(director, clock, FADE_FRAMES, canvas=canvas)
    assert director.blackout_level == 1.0
    assert not a.active and not b.active and director.active() == []
    updates = len(a.updates)
    canvas = RecordingCanvas((16, 16))
    later = {0: [Trigger("keyboard"), SetParameter("level", 0.9), Trigger("osc", target="b")]}
    run_frames(director, clock, 3 * 32, later, canvas=canvas)
    assert len(a.updates) == updates and not b.active  # no work, no events, no reveals
    assert canvas.of("image") == []  # black
    run_frames(director, clock, 1, {0: [OPEN]})
    assert a.active and a.activations[-1] == clock.now() and not b.active
    assert emitted[-1] == HoursChanged(True, "open until 18:00")
    run_frames(director, clock, FADE_FRAMES)
    assert director.blackout_level == 0.0 and not director.closed
    assert all(not events for _, events in a.updates[updates:])


def test_the_same_state_twice_is_one_change_and_a_show_started_closed_says_first() -> None:
    a = FakeScene("a")
    director, clock, emitted = make([a], [0.0])
    run_frames(director, clock, 3, {0: [CLOSED], 1: [CLOSED]})
    assert [e for e in emitted if isinstance(e, HoursChanged)] == [
        HoursChanged(False, "closed at 18:00", first=True)
    ]


def test_reopened_before_the_picture_was_black_just_fades_back() -> None:
    a = FakeScene("a")
    director, clock, _ = make([a], [0.0])
    run_frames(director, clock, 4, {0: [CLOSED], 3: [OPEN]})
    assert a.active and a.deactivations == 0 and a.activations == [0.0]
    run_frames(director, clock, FADE_FRAMES)
    assert director.blackout_level == 0.0


def test_a_closed_show_still_answers_pings_and_status_and_stays_black_after_a_blackout_toggle() -> (
    None
):
    a = FakeScene("a")
    director, clock, emitted = make([a], [0.0])
    asker = ("127.0.0.1", 9001)
    events: dict[int, list[Event]] = {0: [CLOSED]}
    events[FADE_FRAMES + 1] = [PingReceived(asker), StatusRequested(asker), Blackout(False)]
    run_frames(director, clock, FADE_FRAMES + 4, events)
    assert Pong(asker) in emitted and StatusReport(asker, "a", True) in emitted
    assert director.blackout_level == 1.0 and not a.active


def test_the_show_stops_cleanly_while_closed() -> None:
    a = FakeScene("a")
    director, clock, _ = make([a], [0.0])
    run_frames(director, clock, FADE_FRAMES + 1, {0: [CLOSED]})
    director.stop()
    assert a.deactivations == 1
