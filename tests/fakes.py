"""Shared test fakes: a recording canvas, a fake model, a fake input source, a fake clock.

Each stands in for one real component behind its contract (``Canvas``, ``Model``,
``InputSource``, ``Clock``), so scene, director, loop and input tests need no display,
onnxruntime, device or sleeping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from installation.canvas import Anchor, Canvas, Colour, Fit, Image, Point, Rect
from installation.config.schema import SceneSettings
from installation.events import Event
from installation.inputs.base import InputSource, Post
from installation.loop.clock import ManualClock
from installation.models.contract import ModelSpec
from installation.scenes.base import Scene

FakeClock = ManualClock
"""The fake clock is the project's own manual clock: it moves only when told to."""


@dataclass
class Drawn:
    """One canvas call: what was drawn (``image``, ``rect``, ``line``, ``circle``, ``text``)."""

    what: str
    alpha: float
    image: Image | None = None
    fit: Fit | None = None
    text: str | None = None
    colour: Colour | None = None
    geometry: tuple[Any, ...] = ()


class RecordingCanvas:
    """A ``Canvas`` that records each call of the current frame (``clear`` starts a frame)."""

    def __init__(self, size: tuple[int, int] = (320, 180)) -> None:
        self._size = size
        self.drawn: list[Drawn] = []
        self.cleared: list[Colour] = []
        self.max_width: dict[str, float | None] = {}
        """Each text of the current frame -> the ``max_width`` it was drawn with."""

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def clear(self, colour: Colour) -> None:
        self.cleared.append(colour)
        self.drawn = []
        self.max_width = {}

    def draw_image(
        self, image: Image, *, alpha: float = 1.0, fit: Fit = "contain", box: Rect | None = None
    ) -> None:
        self.drawn.append(Drawn("image", alpha, image=image, fit=fit, geometry=box or ()))

    def draw_rect(self, rect: Rect, colour: Colour, *, alpha: float = 1.0, width: int = 0) -> None:
        self.drawn.append(Drawn("rect", alpha, colour=colour, geometry=(rect, width)))

    def draw_line(
        self, start: Point, end: Point, colour: Colour, *, alpha: float = 1.0, width: int = 1
    ) -> None:
        self.drawn.append(Drawn("line", alpha, colour=colour, geometry=(start, end, width)))

    def draw_circle(
        self, centre: Point, radius: float, colour: Colour, *, alpha: float = 1.0, width: int = 0
    ) -> None:
        self.drawn.append(Drawn("circle", alpha, colour=colour, geometry=(centre, radius, width)))

    def draw_text(
        self,
        text: str,
        position: Point,
        colour: Colour,
        *,
        size: int = 24,
        alpha: float = 1.0,
        anchor: Anchor = "topleft",
        max_width: float | None = None,
    ) -> None:
        self.drawn.append(
            Drawn("text", alpha, text=text, colour=colour, geometry=(position, size, anchor))
        )
        self.max_width[text] = max_width

    def of(self, what: str) -> list[Drawn]:
        """This frame's calls of one kind."""
        return [item for item in self.drawn if item.what == what]

    def texts(self) -> list[str]:
        return [item.text or "" for item in self.of("text")]


@dataclass
class FakeModel:
    """A ``Model`` whose ``run`` is a plain function of the feeds; counts its runs."""

    run_function: Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]
    kind: str = "generator"
    latent_size: int = 8
    image_size: tuple[int, int] = (16, 16)
    step_seconds: float | None = None
    name: str = "fake"
    runs: int = 0
    spec: ModelSpec = field(init=False)

    def __post_init__(self) -> None:
        self.spec = ModelSpec(
            path=Path("fake.onnx"),
            kind=self.kind,
            latent_size=self.latent_size,
            image_size=self.image_size,
            batch=None,
            step_seconds=self.step_seconds,
        )

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.runs += 1
        return self.run_function(feeds)


def fake_generator(latent_size: int = 8, size: int = 16) -> FakeModel:
    """A generator whose image brightness follows the first latent value (seeds differ)."""

    def run(feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        z = feeds["z"]
        level = np.clip(128 + 60 * np.tanh(z[:, :1]), 0, 255).astype(np.uint8)
        image = np.broadcast_to(level[:, :, None, None], (z.shape[0], size, size, 3)).copy()
        return {"image": image}

    return FakeModel(run, "generator", latent_size, (size, size))


def fake_lava_lamp(latent_size: int = 4, size: int = 16, step_seconds: float = 0.125) -> FakeModel:
    """A lava lamp whose latent counts up by one per step and whose frame shows the count."""

    def run(feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        z = feeds["z"]
        level = np.uint8(round(float(z[0, 0])) % 256)
        frame = np.full((1, size, size, 3), level, dtype=np.uint8)
        return {"frame": frame, "z_next": (z + 1.0).astype(np.float32)}

    return FakeModel(run, "lava_lamp", latent_size, (size, size), step_seconds)


class FakeInputSource(InputSource):
    """An input source that posts what the test hands it; ``problem`` makes it fail its check."""

    name = "fake"

    def __init__(self, problem: str | None = None, fail_on_start: Exception | None = None) -> None:
        self.problem = problem
        self.fail_on_start = fail_on_start
        self.post: Post | None = None
        self.stopped = False

    def check(self) -> str | None:
        return self.problem

    def start(self, post: Post) -> None:
        if self.fail_on_start is not None:
            raise self.fail_on_start
        self.post = post

    def send(self, event: Event) -> None:
        assert self.post is not None, "the source was not started"
        self.post(event)

    def stop(self) -> None:
        self.stopped = True


class FakePolledSource(FakeInputSource):
    """A main-thread source (like the window): each ``poll`` posts the next canned batch."""

    name = "fake-polled"
    polled = True

    def __init__(self, batches: Sequence[Sequence[Event]] = ()) -> None:
        super().__init__()
        self.batches = [list(batch) for batch in batches]
        self.polls: list[float] = []

    def poll(self, now: float) -> None:
        self.polls.append(now)
        for event in self.batches.pop(0) if self.batches else []:
            self.send(event)


class FakeSettings(SceneSettings):
    """Settings of ``FakeScene``: one live parameter (``level``) and one fixed (``size``)."""

    live_parameters: ClassVar[frozenset[str]] = frozenset({"level"})

    kind: Literal["fake"] = "fake"
    level: float = Field(0.5, ge=0.0, le=1.0)
    size: int = Field(4, ge=1, le=64)


class FakeScene(Scene[FakeSettings]):
    """Records what the director asks of it; ``ready_after`` updates before it can draw;
    ``busy_for`` updates of work after each trigger (as a reveal being generated)."""

    def __init__(self, name: str, ready_after: int = 0, busy_for: int = 0, **settings: Any) -> None:
        super().__init__(FakeSettings(name=name, **settings))
        self.ready_after = ready_after
        self.busy_for = busy_for
        self.active = False
        self.activations: list[float] = []
        self.deactivations = 0
        self.updates: list[tuple[float, list[Event]]] = []
        self.alphas: list[float] = []
        self._updates_since_activation = 0
        self._busy_left = 0

    def activate(self, now: float) -> None:
        assert not self.active, f"{self.name} activated twice"
        self.active = True
        self.activations.append(now)
        self._updates_since_activation = 0

    def deactivate(self) -> None:
        self.active = False
        self.deactivations += 1

    def ready(self) -> bool:
        return self.active and self._updates_since_activation >= self.ready_after

    def busy(self) -> bool:
        return self._busy_left > 0

    def update(self, now: float, events: Sequence[Event]) -> None:
        assert self.active, f"{self.name} updated while inactive"
        self.updates.append((now, list(events)))
        self._updates_since_activation += 1
        self._busy_left = max(0, self._busy_left - 1)
        if events:
            self._busy_left = self.busy_for

    def draw(self, canvas: Canvas, alpha: float) -> None:
        assert self.active, f"{self.name} drawn while inactive"
        self.alphas.append(alpha)
        canvas.draw_image(np.zeros((2, 2, 3), dtype=np.uint8), alpha=alpha)

    def events_seen(self) -> list[Event]:
        return [event for _, events in self.updates for event in events]
