from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from installation.events import Event, NextScene, Trigger
from installation.loop.clock import ManualClock
from installation.scenes.base import Canvas, Fit, Image, Scene
from installation.scenes.director import Director

_IMAGE: Image = np.zeros((2, 2, 3), dtype=np.uint8)


class FakeScene(Scene):
    """Records what the director asks of it; ``ready_after`` updates before it can draw."""

    def __init__(self, name: str, ready_after: int = 0) -> None:
        super().__init__(name)
        self.ready_after = ready_after
        self.active = False
        self.activations: list[float] = []
        self.deactivations = 0
        self.updates: list[tuple[float, list[Event]]] = []
        self.alphas: list[float] = []
        self._updates_since_activation = 0

    def activate(self, now: float) -> None:
        self.active = True
        self.activations.append(now)
        self._updates_since_activation = 0

    def deactivate(self) -> None:
        self.active = False
        self.deactivations += 1

    def ready(self) -> bool:
        return self.active and self._updates_since_activation >= self.ready_after

    def update(self, now: float, events: Sequence[Event]) -> None:
        assert self.active, f"{self.name} updated while inactive"
        self.updates.append((now, list(events)))
        self._updates_since_activation += 1

    def draw(self, canvas: Canvas, alpha: float) -> None:
        assert self.active, f"{self.name} drawn while inactive"
        self.alphas.append(alpha)
        canvas.draw_image(_IMAGE, alpha=alpha)


class RecordingCanvas:
    size = (16, 16)

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def clear(self, colour: tuple[int, int, int]) -> None:
        self.calls.append(("clear", colour))

    def draw_image(self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain") -> None:
        self.calls.append(("image", alpha))


FPS = 32.0  # 1/32 s steps are exact in binary


def run_frames(
    director: Director,
    clock: ManualClock,
    frames: int,
    events: dict[int, list[Event]] | None = None,
    canvas: RecordingCanvas | None = None,
) -> None:
    canvas = canvas or RecordingCanvas()
    for frame in range(frames):
        clock.advance(1.0 / FPS)
        director.update(clock.now(), (events or {}).get(frame, []))
        director.draw(canvas)


def make(
    scenes: Sequence[FakeScene], durations: Sequence[float], crossfade: float = 0.5
) -> tuple[Director, ManualClock]:
    clock = ManualClock()
    director = Director(scenes, durations, crossfade, background=(9, 8, 7))
    director.start(clock.now())
    return director, clock


def test_needs_scenes_and_one_duration_each() -> None:
    with pytest.raises(ValueError):
        Director([], [], 1.0)
    with pytest.raises(ValueError):
        Director([FakeScene("a")], [1.0, 2.0], 1.0)


def test_start_activates_only_the_first_scene() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, _ = make([a, b], [1.0, 1.0])
    assert a.activations == [0.0]
    assert b.activations == []
    assert director.current is a


def test_scene_hands_over_when_its_duration_is_up() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock = make([a, b], [1.0, 1.0], crossfade=0.0)
    run_frames(director, clock, 31)  # t = 31/32
    assert director.current is a and b.activations == []
    run_frames(director, clock, 1)  # t = 1.0
    assert b.activations == [1.0]
    assert director.current is b  # no crossfade: at once
    assert not a.active and a.deactivations == 1


def test_durations_hand_over_in_turn_and_wrap_around() -> None:
    a, b, c = FakeScene("a"), FakeScene("b"), FakeScene("c")
    director, clock = make([a, b, c], [0.5, 0.25, 0.5], crossfade=0.0)
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
    director, clock = make([a, b], [0.0, 0.0], crossfade=0.0)
    run_frames(director, clock, 10 * int(FPS))
    assert director.current is a and b.activations == []


def test_next_scene_hands_over_at_once() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock = make([a, b], [100.0, 100.0], crossfade=0.0)
    run_frames(director, clock, 3)
    run_frames(director, clock, 1, {0: [NextScene()]})
    assert director.current is b
    assert b.activations == [pytest.approx(4 / FPS)]
    assert not a.active


def test_other_events_do_not_hand_over_but_reach_the_scenes() -> None:
    a, b = FakeScene("a"), FakeScene("b")
    director, clock = make([a, b], [0.0, 0.0])
    run_frames(director, clock, 1, {0: [Trigger("osc")]})
    assert director.current is a and b.activations == []
    assert a.updates[-1][1] == [Trigger("osc")]


def test_crossfade_waits_until_the_incoming_scene_is_ready() -> None:
    a, b = FakeScene("a"), FakeScene("b", ready_after=5)
    director, clock = make([a, b], [100.0, 100.0], crossfade=0.5)
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
    director, clock = make([a, b], [100.0, 100.0], crossfade=0.5)
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
    director, clock = make([a, b], [100.0, 100.0], crossfade=1.0)
    canvas = RecordingCanvas()
    run_frames(director, clock, 1, {0: [NextScene()]})
    run_frames(director, clock, 8, canvas=canvas)
    frame = canvas.calls[-3:]
    assert frame[0] == ("clear", (9, 8, 7))
    assert frame[1] == ("image", 1.0)
    assert frame[2] == ("image", pytest.approx(8 / 32))


def test_next_scene_during_a_fade_is_ignored() -> None:
    a, b, c = FakeScene("a"), FakeScene("b"), FakeScene("c")
    director, clock = make([a, b, c], [100.0] * 3, crossfade=0.5)
    run_frames(director, clock, 1, {0: [NextScene()]})
    run_frames(director, clock, 2, {0: [NextScene()], 1: [NextScene()]})
    assert c.activations == []
    assert b.activations == [pytest.approx(1 / FPS)]


def test_single_scene_playlist_ignores_next_scene_and_duration() -> None:
    a = FakeScene("a")
    director, clock = make([a], [0.5], crossfade=0.5)
    run_frames(director, clock, 2 * int(FPS), {i: [NextScene()] for i in range(0, 64, 4)})
    assert director.current is a
    assert a.activations == [0.0] and a.deactivations == 0
    assert not director.fading
    assert set(a.alphas) == {1.0}


def test_stop_deactivates_current_and_incoming() -> None:
    a, b = FakeScene("a"), FakeScene("b", ready_after=100)
    director, clock = make([a, b], [100.0, 100.0])
    run_frames(director, clock, 1, {0: [NextScene()]})
    director.stop()
    assert not a.active and not b.active
