"""A keyframe scene whose model worker gave up restarts it and keeps its last image up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from installation.scenes.keyframe_scene import (
    MAX_HUNG_WORKERS,
    STALL_SECONDS,
    KeyframeScene,
    Producer,
)
from tests.fakes import FakeSettings, RecordingCanvas


class FakeSequence:
    """Items are ready at once; ``failure`` can be set from outside, like a dead worker."""

    def __init__(self, produce: Callable[[int], np.ndarray]) -> None:
        self._produce = produce
        self.failure: str | None = None
        self.started = self.stopped = False
        self._items: dict[int, np.ndarray] = {}

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def restart(self, produce: Callable[[int], np.ndarray]) -> None:
        self._produce, self._items = produce, {}

    def want(self, index: int) -> None:
        for i in range(len(self._items), index + 1):
            self._items[i] = self._produce(i)

    def get(self, index: int) -> np.ndarray | None:
        return self._items.get(index)

    def newest(self) -> int:
        return len(self._items) - 1


class Counting(KeyframeScene[FakeSettings]):
    def producer(self) -> Producer:
        return lambda index: np.full((4, 4, 3), index % 256, dtype=np.uint8)


def test_failed_worker_is_restarted_and_the_screen_never_goes_blank() -> None:
    made: list[FakeSequence] = []

    def make(produce: Callable[[int], np.ndarray], name: str) -> FakeSequence:
        made.append(FakeSequence(produce))
        return made[-1]

    scene = Counting(FakeSettings(name="counting"), rate=10.0, make_sequence=make)
    scene.activate(0.0)
    for step in range(1, 6):
        scene.update(step * 0.1, [])
    made[0].failure = "RuntimeError: device lost"
    scene.update(0.6, [])
    assert scene.restarts == 1
    assert made[0].stopped and len(made) == 2 and made[1].started
    canvas = RecordingCanvas()
    scene.draw(canvas, 1.0)
    assert canvas.of("image"), "the last good image stays on screen while the model restarts"
    scene.update(0.7, [])
    canvas.clear((0, 0, 0))
    scene.draw(canvas, 1.0)
    assert canvas.of("image")


def hanging(made: list[FakeSequence], after: int = 3) -> Callable[..., FakeSequence]:
    """Sequences whose worker delivers keyframes 0 .. after-1, then never another."""

    def make(produce: Callable[[int], np.ndarray], name: str) -> FakeSequence:
        sequence = FakeSequence(produce)
        deliver = sequence.want
        sequence.want = lambda index: deliver(min(index, after - 1))  # type: ignore[method-assign]
        made.append(sequence)
        return sequence

    return make


def run(scene: Counting, start: float, seconds: float) -> float:
    """Updates at 30 fps for ``seconds``; returns the time reached."""
    now = start
    for _ in range(round(seconds * 30)):
        now += 1 / 30
        scene.update(now, [])
    return now


def test_a_hung_worker_is_left_behind_and_a_new_one_started() -> None:
    """A keyframe asked for and not delivered for STALL_SECONDS: a new worker, the last image
    up meanwhile; after MAX_HUNG_WORKERS the scene stops leaving threads behind."""
    made: list[FakeSequence] = []
    scene = Counting(FakeSettings(name="counting"), rate=10.0, make_sequence=hanging(made))
    scene.activate(0.0)
    now = run(scene, 0.0, STALL_SECONDS - 0.5)  # stuck since 0.2 s, not yet for the stall
    assert len(made) == 1 and scene.hung_workers == 0
    now = run(scene, now, 1.0)
    assert len(made) == 2 and made[0].stopped and made[1].started and scene.hung_workers == 1
    canvas = RecordingCanvas()
    scene.draw(canvas, 1.0)
    assert canvas.of("image"), "the last image stays up while a new worker starts"
    run(scene, now, (STALL_SECONDS + 1) * (MAX_HUNG_WORKERS + 2))
    assert len(made) == MAX_HUNG_WORKERS + 1  # no more threads left behind after that


def test_a_loop_that_stood_still_is_not_a_hung_worker() -> None:
    """SIGSTOP (or a suspended machine) stops the loop and the worker alike: the gap is not
    the model's. The stall is counted again from when the loop goes on."""
    made: list[FakeSequence] = []
    scene = Counting(FakeSettings(name="counting"), rate=10.0, make_sequence=hanging(made))
    scene.activate(0.0)
    now = run(scene, 0.0, 5.0)  # the worker stuck since 0.2 s
    now = run(scene, now + 2 * STALL_SECONDS, STALL_SECONDS - 1.0)  # a long stop, then on
    assert len(made) == 1 and scene.hung_workers == 0
    run(scene, now, 2.0)
    assert len(made) == 2 and scene.hung_workers == 1
