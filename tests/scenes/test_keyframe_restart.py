"""A keyframe scene whose model worker gave up restarts it and keeps its last image up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from installation.scenes.keyframe_scene import KeyframeScene, Producer
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
