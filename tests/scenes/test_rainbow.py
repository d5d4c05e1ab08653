from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
import pytest

from installation.app import LiveWorkers, live_kit, offline_kit
from installation.events import Event, ImageRevealed, Trigger
from installation.models.onnx_runtime import OnnxModel, load_model
from installation.models.request_worker import InlineRequests
from installation.models.sequence_worker import InlineSequence
from installation.scenes.rainbow import RainbowScene, RainbowSettings, generate, rainbow_latent
from tests.fakes import RecordingCanvas, fake_generator
from tests.onnx_factory import make_generator


def draws(canvas: RecordingCanvas) -> list[tuple[Any, float]]:
    return [(item.image, item.alpha) for item in canvas.of("image")]


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    path = make_generator(tmp_path_factory.mktemp("rainbow") / "gen.onnx", size=32)
    return load_model("rainbow", path, "generator", providers=("cpu",))


def settings(**values: object) -> RainbowSettings:
    base: dict[str, object] = {"kind": "rainbow", "model": "rainbow", "seed": 10}
    return RainbowSettings.model_validate(base | values)


def test_trigger_reveals_the_seeded_rainbow_and_announces_it(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(settings(), generator, *_offline(events))
    scene.activate(0.0)
    scene.update(0.1, [Trigger("test")])
    revealed = [e for e in events if isinstance(e, ImageRevealed)]
    assert len(revealed) == 1
    event = revealed[0]
    assert event.seed == 11
    np.testing.assert_array_equal(event.z, rainbow_latent(11, 512))
    np.testing.assert_array_equal(event.image, generate(generator, event.z, 0.8))
    assert event.truncation == pytest.approx(0.8)
    assert event.trigger == "test"
    assert event.trigger_to_frame_ms >= 0.0
    # Drift underneath, the new rainbow on top and visible from its first frame ...
    (drift, drift_alpha), (top, top_alpha) = scene.layers(1.0)
    assert drift is scene.current_image and drift_alpha == 1.0
    assert top is event.image and top_alpha == pytest.approx(0.1)
    # ... drawn as one image, blended at the model's size.
    canvas = RecordingCanvas()
    scene.draw(canvas, 1.0)
    ((flat, alpha),) = draws(canvas)
    expected = drift.astype(np.float32) * 0.9 + event.image.astype(np.float32) * 0.1
    assert alpha == 1.0 and np.abs(flat.astype(np.float32) - expected).max() <= 1.0


def test_reveal_fades_in_holds_then_drifts_on_from_its_latent(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(
        settings(reveal_seconds=0.5, hold_seconds=1.0), generator, *_offline(events)
    )
    scene.activate(0.0)
    scene.update(0.0, [Trigger()])
    alphas = []
    for step in range(1, 60):
        now = step * 0.05
        scene.update(now, [])
        first = events[0]
        assert isinstance(first, ImageRevealed)
        reveal_alpha = [a for image, a in scene.layers(1.0) if image is first.image]
        alphas.append(reveal_alpha[0] if reveal_alpha else 0.0)
        canvas = RecordingCanvas()
        scene.draw(canvas, 1.0)
        assert len(canvas.of("image")) == 1  # however many layers fade: one image drawn
    peak = alphas.index(1.0)
    assert all(b >= a for a, b in itertools.pairwise(alphas[: peak + 1]))
    assert alphas[-1] == 0.0  # gone again after hold + fade back
    assert isinstance(events[0], ImageRevealed)
    np.testing.assert_array_equal(scene.drift_latent(0), events[0].z)


def test_auto_reveal_fires_on_its_own(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(settings(auto_reveal_seconds=1.0), generator, *_offline(events))
    scene.activate(0.0)
    for step in range(1, 36):
        scene.update(step * 0.1, [])
    seeds = [e.seed for e in events if isinstance(e, ImageRevealed)]
    assert seeds == [11, 12, 13]


def test_threaded_reveal_arrives_without_blocking(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(settings(), generator, *_live(events))
    scene.activate(0.0)
    try:
        scene.update(0.0, [Trigger("space")])
        deadline = time.monotonic() + 10.0
        now = 0.0
        while not events and time.monotonic() < deadline:
            now += 0.033
            scene.update(now, [])
            time.sleep(0.005)
        assert len(events) == 1 and isinstance(events[0], ImageRevealed)
        assert events[0].trigger == "space"
    finally:
        scene.deactivate()


def _offline(events: list[Event]) -> tuple[Any, Any, Any]:
    kit = offline_kit(events.append)
    return kit.make_sequence, kit.make_requests, kit.emit


def _live(events: list[Event]) -> tuple[Any, Any, Any]:
    kit = live_kit(events.append, LiveWorkers())
    return kit.make_sequence, kit.make_requests, kit.emit


def test_latent_for_a_seed_is_stable() -> None:
    a = rainbow_latent(5)
    assert a.shape == (512,) and a.dtype == np.float32
    np.testing.assert_array_equal(a, rainbow_latent(5))
    assert not np.array_equal(a, rainbow_latent(6))


def test_a_trigger_with_a_seed_reveals_exactly_that_rainbow(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(settings(), generator, *_offline(events))
    scene.activate(0.0)
    scene.update(0.1, [Trigger("osc", seed=7, caption="well played")])
    (event,) = [e for e in events if isinstance(e, ImageRevealed)]
    assert event.seed == 7 and event.caption == "well played"
    np.testing.assert_array_equal(event.z, rainbow_latent(7, 512))
    np.testing.assert_array_equal(event.image, generate(generator, rainbow_latent(7, 512), 0.8))


def test_scene_runs_on_the_model_protocol_with_a_fake_model() -> None:
    model = fake_generator(latent_size=8, size=4)
    events: list[Event] = []
    scene = RainbowScene(settings(reveal_seconds=0.0), model, *_offline(events))  # type: ignore[arg-type]
    scene.activate(0.0)
    assert scene.ready() is False or model.runs >= 0
    scene.update(0.0, [Trigger()])
    assert not scene.busy()
    assert [type(e) for e in events] == [ImageRevealed]
    assert model.runs >= 2  # the drift's first image and the reveal


def test_busy_while_a_threaded_reveal_is_being_generated(generator: OnnxModel) -> None:
    events: list[Event] = []
    scene = RainbowScene(settings(), generator, *_live(events))
    scene.activate(0.0)
    try:
        assert not scene.busy()
        scene.update(0.0, [Trigger()])
        assert scene.busy()
        deadline = time.monotonic() + 10.0
        while scene.busy() and time.monotonic() < deadline:
            scene.update(0.0, [])
            time.sleep(0.005)
        assert not scene.busy() and len(events) == 1
    finally:
        scene.deactivate()


def test_a_trigger_that_wakes_the_scene_gets_the_model_to_itself(generator: OnnxModel) -> None:
    """Woken by a game's end, the scene generates the reveal first and only then starts its
    drift, so the two do not share the cores while the visitors wait for their rainbow."""
    events: list[Event] = []
    scene = RainbowScene(settings(), generator, *_live(events))
    scene.activate(0.0)
    try:
        scene.update(0.0, [Trigger("game", seed=3)])
        assert scene.busy() and scene.current_image is None and not scene.ready()
        deadline = time.monotonic() + 10.0
        while scene.busy() and time.monotonic() < deadline:
            scene.update(0.0, [])
            time.sleep(0.005)
        assert not scene.busy() and scene.ready()  # the reveal is up: the show can cut to it
        # The reveal is on top; the drift started in the same update (its first frame may
        # already be under it: a tiny model is fast).
        layers = scene.layers(1.0)
        assert layers[-1][0] is events[0].image  # type: ignore[attr-defined]
        assert len(layers) <= 2
        while scene.current_image is None and time.monotonic() < deadline:
            scene.update(0.1, [])  # the drift starts after the reveal
            time.sleep(0.005)
        assert scene.current_image is not None
    finally:
        scene.deactivate()


class _HeldRequests(InlineRequests[Any, Any]):
    """Runs a request at once but hands its result out only once ``released``: a reveal that
    is still being generated, for as long as the test likes."""

    released = False

    def result(self, ticket: int) -> Any:
        return super().result(ticket) if self.released else None


class _WantLog:
    """An inline sequence that records what the scene asks its worker for."""

    def __init__(self, produce: Any) -> None:
        self.inner: InlineSequence[Any] = InlineSequence(produce)
        self.wanted: list[int] = []
        self.failure: str | None = None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def restart(self, produce: Any) -> None:
        self.inner.restart(produce)

    def want(self, index: int) -> None:
        self.wanted.append(index)
        self.inner.want(index)

    def get(self, index: int) -> Any:
        return self.inner.get(index)

    def newest(self) -> int:
        return self.inner.newest()


def test_the_drift_asks_for_no_keyframes_while_a_reveal_is_generated(
    generator: OnnxModel,
) -> None:
    """A rainbow someone waits for gets the model first: while it is pending the drift shows
    what its worker has and asks for nothing new; once it is in, the drift asks again."""
    sequences: list[_WantLog] = []
    requests: list[_HeldRequests] = []

    def make_sequence(produce: Any, name: str) -> _WantLog:
        sequences.append(_WantLog(produce))
        return sequences[-1]

    def make_requests(run: Any, name: str) -> _HeldRequests:
        requests.append(_HeldRequests(run))
        return requests[-1]

    events: list[Event] = []
    scene = RainbowScene(settings(), generator, make_sequence, make_requests, events.append)
    scene.activate(0.0)
    for now in (0.0, 0.1, 0.2, 0.3):
        scene.update(now, [])
    (sequence,) = sequences
    asked = max(sequence.wanted)
    assert asked >= 3  # 10 keyframes a second
    scene.update(0.4, [Trigger("test")])
    for now in (0.5, 0.6, 0.7):
        scene.update(now, [])
        assert scene.busy() and scene.current_image is not None  # the drift goes on showing
    assert max(sequence.wanted) == asked
    held = max(sequence.wanted)
    requests[0].released = True
    scene.update(0.8, [])
    assert not scene.busy() and len(events) == 1
    scene.update(0.9, [])
    assert max(sequence.wanted) > held
