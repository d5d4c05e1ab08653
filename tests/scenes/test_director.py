from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from installation.canvas import Canvas, Rect
from installation.events import (
    Blackout,
    Event,
    EventRefused,
    NextScene,
    ParameterChanged,
    PingReceived,
    PointAt,
    Pong,
    PreviousScene,
    ResetScene,
    SceneChanged,
    SelectScene,
    SetParameter,
    StatusReport,
    StatusRequested,
    Trigger,
)
from installation.loop.clock import ManualClock
from installation.scenes.base import Card
from installation.scenes.director import BLACKOUT_SECONDS, Director
from tests.fakes import Drawn, FakeScene, RecordingCanvas

FPS = 32.0  # 1/32 s steps are exact in binary


def run_frames(
    director: Director,
    clock: ManualClock,
    frames: int,
    events: dict[int, list[Event]] | None = None,
    canvas: RecordingCanvas | None = None,
) -> None:
    canvas = canvas or RecordingCanvas((16, 16))
    for frame in range(frames):
        clock.advance(1.0 / FPS)
        director.update(clock.now(), (events or {}).get(frame, []))
        director.draw(canvas)


def make(
    scenes: Sequence[FakeScene], durations: Sequence[float], crossfade: float = 0.5
) -> tuple[Director, ManualClock, list[Event]]:
    clock = ManualClock()
    for scene, duration in zip(scenes, durations, strict=True):
        scene.settings = scene.settings.model_copy(update={"duration_seconds": duration})
    emitted: list[Event] = []
    director = Director(scenes, crossfade, background=(9, 8, 7), emit=emitted.append)
    director.start(clock.now())
    return director, clock, emitted


def test_needs_scenes() -> None:
    with pytest.raises(ValueError):
        Director([], 1.0)


def test_start_activates_only_the_first_scene() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, _, _ = make([a, b], [1.0, 1.0])
    assert a.activations == [0.0]
    assert b.activations == []
    assert director.current is a


def test_scene_hands_over_when_its_duration_is_up() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [1.0, 1.0], crossfade=0.0)
    run_frames(director, clock, 31)  # t = 31/32
    assert director.current is a and b.activations == []
    run_frames(director, clock, 1)  # t = 1.0
    assert b.activations == [1.0]
    assert director.current is b  # no crossfade: at once
    assert not a.active and a.deactivations == 1


def test_durations_hand_over_in_turn_and_wrap_around() -> None:
    a, b, c = FakeScene("a"), FakeScene("b"), FakeScene("c")
    director, clock, _ = make([a, b, c], [0.5, 0.25, 0.5], crossfade=0.0)
    order: list[tuple[str, float]] = []
    for _ in range(int(2.5 * FPS)):
        run_frames(director, clock, 1)
        if not order or order[-1][0] != director.current.name:
            order.append((director.current.name, clock.now()))
    assert [name for name, _ in order[:5]] == ["a", "b", "c", "a", "b"]
    starts = [moment for _, moment in order[:5]]
    assert starts[1:] == pytest.approx([0.5, 0.75, 1.25, 1.75])


def test_zero_duration_stays_until_asked() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [0.0, 0.0], crossfade=0.0)
    run_frames(director, clock, 10 * int(FPS))
    assert director.current is a and b.activations == []


def test_next_scene_hands_over_at_once() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [100.0, 100.0], crossfade=0.0)
    run_frames(director, clock, 3)
    run_frames(director, clock, 1, {0: [NextScene()]})
    assert director.current is b
    assert b.activations == [pytest.approx(4 / FPS)]
    assert not a.active


def test_other_events_do_not_hand_over_but_reach_the_scenes() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 1, {0: [Trigger("osc")]})
    assert director.current is a and b.activations == []
    assert a.updates[-1][1] == [Trigger("osc")]


def test_crossfade_waits_until_the_incoming_scene_is_ready() -> None:
    a, b = FakeScene("a"), FakeScene("b", ready_after=5)
    director, clock, _ = make([a, b], [100.0, 100.0], crossfade=0.5)
    run_frames(director, clock, 1, {0: [NextScene()]})
    assert b.active
    run_frames(director, clock, 3)
    # b is warming up: it is updated but not drawn; a is still shown fully.
    assert not director.fading
    assert b.alphas == []
    assert a.alphas == [1.0] * 4
    run_frames(director, clock, 1)  # b's 5th update: ready, fade starts (alpha 0)
    assert director.fading
    assert b.alphas == [0.0]


def test_crossfade_lasts_crossfade_seconds_with_alpha_rising() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [100.0, 100.0], crossfade=0.5)
    run_frames(director, clock, 1, {0: [NextScene()]})
    fade_started = clock.now()
    assert director.fading and director.current is a
    while director.current is a:
        run_frames(director, clock, 1)
        assert clock.now() - fade_started <= 0.5 + 1e-9
    assert clock.now() - fade_started == pytest.approx(0.5)
    fading_alphas = b.alphas[: int(0.5 * FPS)]
    assert fading_alphas[0] == 0.0
    assert fading_alphas == sorted(fading_alphas)
    assert fading_alphas == pytest.approx([i / 16 for i in range(16)])
    assert all(alpha == 1.0 for alpha in a.alphas)
    # After the fade: the old scene is deactivated and the new one drawn fully.
    assert not a.active and a.deactivations == 1
    run_frames(director, clock, 2)
    assert b.alphas[-2:] == [1.0, 1.0]
    assert not director.fading


def test_old_scene_is_drawn_under_the_new_one_during_the_fade() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [100.0, 100.0], crossfade=1.0)
    canvas = RecordingCanvas((16, 16))
    run_frames(director, clock, 1, {0: [NextScene()]})
    run_frames(director, clock, 8, canvas=canvas)
    assert canvas.cleared[-1] == (9, 8, 7)
    assert [item.alpha for item in canvas.of("image")] == [1.0, pytest.approx(8 / 32)]


def test_next_scene_during_a_fade_skips_on_from_the_incoming_scene() -> None:
    a, b, c = FakeScene("a"), FakeScene("b"), FakeScene("c")
    director, clock, _ = make([a, b, c], [100.0] * 3, crossfade=0.5)
    run_frames(director, clock, 1, {0: [NextScene()]})
    run_frames(director, clock, 1, {0: [NextScene()]})
    assert b.activations == [pytest.approx(1 / FPS)] and not b.active
    assert c.activations == [pytest.approx(2 / FPS)]
    run_frames(director, clock, int(FPS))
    assert director.current is c and not a.active


def test_single_scene_playlist_ignores_next_scene_and_duration() -> None:
    a = FakeScene("a")
    director, clock, _ = make([a], [0.5], crossfade=0.5)
    run_frames(director, clock, 2 * int(FPS), {i: [NextScene()] for i in range(0, 64, 4)})
    assert director.current is a
    assert a.activations == [0.0] and a.deactivations == 0
    assert not director.fading
    assert set(a.alphas) == {1.0}


def test_stop_deactivates_current_and_incoming() -> None:
    a, b = FakeScene("a"), FakeScene("b", ready_after=100)
    director, clock, _ = make([a, b], [100.0, 100.0])
    run_frames(director, clock, 1, {0: [NextScene()]})
    director.stop()
    assert not a.active and not b.active


def test_previous_and_select_scene() -> None:
    a, b, c = FakeScene("a"), FakeScene("b"), FakeScene("c")
    director, clock, emitted = make([a, b, c], [0.0] * 3, crossfade=0.0)
    run_frames(director, clock, 1, {0: [PreviousScene()]})
    assert director.current is c
    run_frames(director, clock, 1, {0: [SelectScene("b")]})
    assert director.current is b
    run_frames(director, clock, 1, {0: [SelectScene("fake")]})  # by kind: the first of it
    assert director.current is a
    assert [e.scene for e in emitted if isinstance(e, SceneChanged)] == ["c", "b", "a"]
    run_frames(director, clock, 1, {0: [SelectScene("nope")]})
    assert director.current is a
    refused = [e for e in emitted if isinstance(e, EventRefused)]
    assert len(refused) == 1 and "no scene named 'nope'" in refused[0].reason


def test_untargeted_trigger_reaches_the_scene_on_screen_only() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 1, {0: [Trigger("key")]})
    assert a.events_seen() == [Trigger("key")] and b.activations == []


def test_targeted_trigger_reaches_an_off_screen_scene_and_switches_to_it() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [0.0, 0.0], crossfade=0.25)
    trigger = Trigger("osc", target="b")
    run_frames(director, clock, 1, {0: [trigger]})
    assert b.active and b.events_seen() == [trigger] and a.events_seen() == []
    run_frames(director, clock, int(FPS))
    assert director.current is b and not a.active


def test_targeted_trigger_without_switching_runs_in_the_background_until_done() -> None:
    a, b = FakeScene("a"), FakeScene("b", busy_for=5, show_on_trigger=False)
    director, clock, _ = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 1, {0: [Trigger("osc", target="b")]})
    assert b.active and director.current is a and b in director.active()
    run_frames(director, clock, 3)
    assert b.active  # still generating
    run_frames(director, clock, 3)
    assert not b.active and b.deactivations == 1 and director.current is a
    assert b.alphas == []  # never drawn: it was never on screen


def test_switch_by_trigger_returns_after_the_configured_time() -> None:
    a, b = FakeScene("a"), FakeScene("b", return_after_seconds=1.0)
    director, clock, _ = make([a, b], [0.0, 0.0], crossfade=0.0)
    run_frames(director, clock, 1, {0: [Trigger("game", target="b")]})
    assert director.current is b
    run_frames(director, clock, int(FPS) - 1)
    assert director.current is b
    run_frames(director, clock, 1)
    assert director.current is a


@dataclass(frozen=True)
class FakeCard:
    """A card that draws its text over everything until ``until``."""

    text: str
    until: float

    def draw(self, canvas: Canvas, now: float) -> None:
        if now < self.until:
            canvas.draw_text(self.text, (0.0, 0.0), (255, 255, 255))

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        return [(1.0, 2.0, 3.0, 4.0)]


class CardScene(FakeScene):
    """A scene showing ``shown`` as its card (a game's result card)."""

    shown: FakeCard | None = None

    def card(self) -> Card | None:
        return self.shown

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        return [(0.0, 0.0, 16.0, 1.0)]  # a headline's band


def frames(
    director: Director, clock: ManualClock, count: int, events: dict[int, list[Event]] | None = None
) -> list[list[Drawn]]:
    """What ``count`` frames drew (as ``run_frames``)."""
    drawn = []
    for frame in range(count):
        canvas = RecordingCanvas((16, 16))
        run_frames(director, clock, 1, {0: (events or {}).get(frame, [])}, canvas)
        drawn.append(canvas.drawn)
    return drawn


def test_a_card_stays_over_the_scene_a_trigger_cuts_to_until_its_time_is_up() -> None:
    a, b = CardScene("a"), FakeScene("b", ready_after=2, return_after_seconds=4.0)
    director, clock, _ = make([a, b], [0.0, 0.0], crossfade=0.5)
    a.shown = FakeCard("result", until=2.0)
    first = frames(director, clock, 1, {0: [Trigger("game", target="b")]})  # t = 1/32
    assert director.incoming is b  # the cut is asked for at once ...
    assert [item.what for item in first[0]] == ["image", "text"]  # (a, and its card over it)
    assert director.keep_clear((16, 16)) == [(0.0, 0.0, 16.0, 1.0), (1.0, 2.0, 3.0, 4.0)]
    drawn = frames(director, clock, 1)  # t = 2/32: b is ready, the crossfade starts
    assert director.fading
    drawn += frames(director, clock, 16)  # t = 18/32: the cut is done
    assert director.current is b and not a.active
    assert all([item.what for item in frame][-1] == "text" for frame in drawn)  # card on top
    assert director.keep_clear((16, 16)) == [(1.0, 2.0, 3.0, 4.0)]  # the card's, not a's
    drawn = frames(director, clock, 46)  # t = 64/32 = 2.0: the card's time is up at last
    assert all([item.what for item in frame] == ["image", "text"] for frame in drawn[:-1])
    assert [item.what for item in drawn[-1]] == ["image"]
    assert director.keep_clear((16, 16)) == []
    assert b.alphas[-1] == 1.0 and director.current is b
    frames(director, clock, 65)  # t = 4 + 1/32: back return_after_seconds after the trigger
    assert director.incoming is a


def test_a_scene_back_on_screen_shows_its_own_card_not_the_one_it_left() -> None:
    a, b = CardScene("a"), FakeScene("b")
    director, clock, _ = make([a, b], [0.0, 0.0], crossfade=0.0)
    a.shown = FakeCard("first", until=10.0)
    frames(director, clock, 2, {0: [Trigger("game", target="b")]})
    assert director.current is b
    a.shown = FakeCard("second", until=10.0)  # (as the scene would when on screen again)
    drawn = frames(director, clock, 1, {0: [SelectScene("a")]})
    assert director.current is a and [item.text for item in drawn[0]] == [None, "second"]
    a.shown = None  # the scene no longer shows one: it is gone at once
    drawn = frames(director, clock, 1)
    assert [item.what for item in drawn[0]] == ["image"]


def test_cards_go_dark_with_the_blackout_and_go_when_the_show_stops() -> None:
    a = CardScene("a")
    a.shown = FakeCard("result", until=10.0)
    director, clock, _ = make([a], [0.0])
    frames(director, clock, 1, {0: [Blackout(on=True)]})
    drawn = frames(director, clock, int(FPS * BLACKOUT_SECONDS))
    assert drawn[0][-1].what == "rect" and drawn[0][-2].text == "result"  # under the black
    assert drawn[-1] == []
    director.stop()
    assert director.keep_clear((16, 16)) == [(0.0, 0.0, 16.0, 1.0)]


def test_trigger_for_an_unknown_scene_is_refused() -> None:
    a = FakeScene("a")
    director, clock, emitted = make([a], [0.0])
    run_frames(director, clock, 1, {0: [Trigger("osc", target="rainbow")]})
    assert a.events_seen() == []
    assert [type(e) for e in emitted] == [EventRefused]


def test_set_parameter_is_validated_against_the_scene_settings() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, emitted = make([a, b], [0.0, 0.0])
    good = [SetParameter("level", 0.25), SetParameter("level", 1, scene="b")]
    run_frames(director, clock, 1, {0: good})
    assert a.settings.level == 0.25 and b.settings.level == 1.0
    assert [e for e in emitted if isinstance(e, ParameterChanged)] == [
        ParameterChanged("a", "level", 0.25),
        ParameterChanged("b", "level", 1),
    ]
    bad = [
        SetParameter("level", 1.5),  # out of range
        SetParameter("level", "0.3"),  # a string is not a number
        SetParameter("level", True),  # nor is a bool
        SetParameter("size", 8),  # not live
        SetParameter("colour", 1.0),  # no such key
        SetParameter("level", 0.5, scene="nope"),  # no such scene
    ]
    run_frames(director, clock, 1, {0: bad})
    refused = [e for e in emitted if isinstance(e, EventRefused)]
    assert [e.event for e in refused] == bad
    assert a.settings.level == 0.25 and a.settings.size == 4
    assert "not live" in refused[3].reason and "level" in refused[3].reason


def test_blackout_fades_to_black_and_back() -> None:
    a = FakeScene("a")
    director, clock, _ = make([a], [0.0])
    canvas = RecordingCanvas((16, 16))
    run_frames(director, clock, 1, {0: [Blackout()]}, canvas=canvas)
    first = canvas.of("rect")
    assert first and 0 < first[0].alpha < 1 and first[0].geometry[0] == (0, 0, 16, 16)
    run_frames(director, clock, int(BLACKOUT_SECONDS * FPS) + 1, canvas=canvas)
    assert director.blackout_level == 1.0 and canvas.of("image") == []
    run_frames(director, clock, int(BLACKOUT_SECONDS * FPS) + 1, {0: [Blackout(False)]})
    assert director.blackout_level == 0.0


def test_ping_and_status_are_answered_by_the_director() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, emitted = make([a, b], [0.0, 0.0])
    asker = ("127.0.0.1", 5555)
    run_frames(
        director, clock, 1, {0: [PingReceived(asker), Blackout(True), StatusRequested(asker)]}
    )
    assert Pong(asker) in emitted
    assert StatusReport(asker, "a", True) in emitted


def test_reset_restarts_an_active_scene_only() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock, emitted = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 1, {0: [ResetScene("a"), ResetScene("b")]})
    assert a.activations == [0.0, pytest.approx(1.0 / FPS)] and a.deactivations == 1
    assert b.activations == []  # inactive: it starts from its seed when next activated
    run_frames(director, clock, 1, {0: [ResetScene("nowhere")]})
    assert any(isinstance(e, EventRefused) for e in emitted)


def test_point_at_a_scene_that_cannot_be_steered_is_refused() -> None:
    a = FakeScene("a")
    director, clock, emitted = make([a], [0.0])
    run_frames(director, clock, 1, {0: [PointAt(0.5, 0.5, scene="a")]})
    (refused,) = [e for e in emitted if isinstance(e, EventRefused)]
    assert "cannot be steered" in refused.reason


def test_facts_for_input_threads_read_without_changing_anything() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, _, emitted = make([a, b], [0.0, 0.0])
    assert director.scene_names() == ["a", "b"]
    assert director.has_scene("b") and not director.has_scene("c")
    assert director.check_parameter("c", "x", 1.0) == "no scene named 'c'"
    assert "is not live" in (director.check_parameter("a", "nope", 1.0) or "")
    assert emitted == []


def test_a_game_over_a_scene_posts_reaches_the_rainbow_in_the_same_frame() -> None:
    from installation.events import GameFinished, GameOver

    game, rainbow = FakeScene("game"), FakeScene("rainbow")
    director, clock, emitted = make([game, rainbow], [0.0, 0.0], crossfade=0.0)
    director.inbox.append(GameOver("X", 7, seed=99, caption="X won in 7 moves", source="game"))
    run_frames(director, clock, 1)
    (trigger,) = rainbow.events_seen()
    assert trigger == Trigger("game", target="rainbow", seed=99, caption="X won in 7 moves")
    assert director.current is rainbow and director.inbox == []
    assert not any(isinstance(event, GameFinished) for event in emitted)  # the game counts itself


def test_an_attract_games_rainbow_has_its_own_trigger() -> None:
    from installation.events import GameOver

    game, rainbow = FakeScene("game"), FakeScene("rainbow")
    director, clock, _ = make([game, rainbow], [0.0, 0.0], crossfade=0.0)
    director.inbox.append(GameOver("O", 6, seed=5, caption="O won", source="game", attract=True))
    run_frames(director, clock, 1)
    (trigger,) = rainbow.events_seen()
    assert trigger == Trigger("attract", target="rainbow", seed=5, caption="O won")


def test_an_external_game_over_is_counted_and_gets_a_seed() -> None:
    from installation.events import GameFinished, GameOver

    game, rainbow = FakeScene("game"), FakeScene("rainbow")
    director, clock, emitted = make([game, rainbow], [0.0, 0.0], crossfade=0.0)
    run_frames(director, clock, 1, {0: [GameOver("Team blue", 42)]})
    (trigger,) = rainbow.events_seen()
    assert isinstance(trigger, Trigger) and trigger.caption == "Team blue won with 42"
    assert trigger.seed is not None and 0 <= trigger.seed < 2**31
    assert GameFinished("external", "Team blue", 0) in emitted
    again, other = FakeScene("game"), FakeScene("rainbow")
    director2, clock2, _ = make([again, other], [0.0, 0.0], crossfade=0.0)
    run_frames(director2, clock2, 1, {0: [GameOver("Team blue", 42)]})
    assert other.events_seen()[0] == trigger  # the same result, the same rainbow
