"""A keyframe scene whose model worker gave up restarts it and keeps its last image up."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from installation.scenes.keyframe_scene import KeyframeScene


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

    def want(self, index: int) -> None:
        for i in range(len(self._items), index + 1):
            self._items[i] = self._produce(i)

    def get(self, index: int) -> np.ndarray | None:
        return self._items.get(index)

    def newest(self) -> int:
        return len(self._items) - 1


class Counting(KeyframeScene):
    def produce(self, index: int) -> np.ndarray:
        return np.full((4, 4, 3), index % 256, dtype=np.uint8)

    def reset(self) -> None:
        return None


class Canvas:
    size = (8, 8)

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def clear(self, colour: tuple[int, int, int]) -> None:
        self.images.clear()

    def draw_image(self, image: np.ndarray, *, alpha: float = 1.0, fit: str = "contain") -> None:
        self.images.append(image)


def test_failed_worker_is_restarted_and_the_screen_never_goes_blank() -> None:
    made: list[FakeSequence] = []

    def make(produce: Callable[[int], np.ndarray], name: str) -> FakeSequence:
        made.append(FakeSequence(produce))
        return made[-1]

    scene = Counting("counting", rate=10.0, fit="contain", make_sequence=make)
    scene.activate(0.0)
    for step in range(1, 6):
        scene.update(step * 0.1, [])
    made[0].failure = "RuntimeError: device lost"
    scene.update(0.6, [])
    assert scene.restarts == 1
    assert made[0].stopped and len(made) == 2 and made[1].started
    canvas = Canvas()
    scene.draw(canvas, 1.0)
    assert canvas.images, "the last good image stays on screen while the model restarts"
    scene.update(0.7, [])
    scene.draw(canvas, 1.0)
    assert canvas.images
