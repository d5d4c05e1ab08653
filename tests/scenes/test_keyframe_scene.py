from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from installation.app import offline_kit
from installation.canvas import Image
from installation.events import SetParameter
from installation.models.onnx_runtime import OnnxModel, load_model
from installation.models.sequence_worker import ThreadedSequence
from installation.scenes.colour_grade import apply_grade, grade_matrix
from installation.scenes.director import Director
from installation.scenes.keyframe_scene import KeyframeScene
from installation.scenes.latent_walk import LatentWalkScene, LatentWalkSettings, slerp, waypoint
from installation.scenes.lava_lamp import LavaLampScene, LavaLampSettings
from tests.fakes import RecordingCanvas, fake_lava_lamp
from tests.onnx_factory import make_generator, make_lava_lamp

TIMEOUT = 10.0
inline_sequences = offline_kit(lambda event: None).make_sequence


def shown(scene: KeyframeScene[Any]) -> Image:
    canvas = RecordingCanvas((32, 32))
    scene.draw(canvas, 1.0)
    images = canvas.of("image")
    assert len(images) == 1 and images[0].image is not None
    return images[0].image


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.001)
    return condition()


@pytest.fixture(scope="module")
def lava(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    folder = tmp_path_factory.mktemp("scene_lava")
    path = make_lava_lamp(folder / "lava.onnx", size=32, latent_size=16)
    return load_model("lava", path, "lava_lamp", ("cpu",), cache_dir=folder)


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    folder = tmp_path_factory.mktemp("scene_gen")
    path = make_generator(folder / "gen.onnx", size=16, latent_size=32)
    return load_model("gen", path, "generator", ("cpu",), cache_dir=folder)


def lava_settings(**values: object) -> LavaLampSettings:
    return LavaLampSettings.model_validate({"kind": "lava_lamp", "model": "lava", **values})


def walk_settings(**values: object) -> LatentWalkSettings:
    return LatentWalkSettings.model_validate({"kind": "latent_walk", "model": "gen", **values})


def keyframes(settings: LavaLampSettings, model: OnnxModel, count: int) -> list[Image]:
    """The lava scene's raw keyframes 0 .. count-1, computed independently of any sequence."""
    produce = LavaLampScene(settings, model, inline_sequences).producer()
    return [produce(i) for i in range(count)]


# Blending -------------------------------------------------------------------------------


def test_integer_positions_show_the_keyframes(lava: OnnxModel) -> None:
    settings = lava_settings(step_rate=4.0)
    frames = keyframes(settings, lava, 4)
    scene = LavaLampScene(settings, lava, inline_sequences)
    scene.activate(0.0)
    assert scene.ready()
    for k in range(4):
        scene.update(k / 4.0, [])
        assert scene.position == pytest.approx(k)
        np.testing.assert_array_equal(shown(scene), frames[k])
    scene.deactivate()


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
def test_fractional_positions_blend_between_two_keyframes(lava: OnnxModel, fraction: float) -> None:
    settings = lava_settings(step_rate=4.0)
    first, second = keyframes(settings, lava, 3)[1:3]
    assert not np.array_equal(first, second)
    scene = LavaLampScene(settings, lava, inline_sequences)
    scene.activate(10.0)
    scene.update(10.0, [])
    scene.update(10.0 + (1 + fraction) / 4.0, [])
    assert scene.position == pytest.approx(1 + fraction)
    image = shown(scene)
    low = np.minimum(first, second)
    high = np.maximum(first, second)
    assert np.all(image >= low) and np.all(image <= high)
    expected = first.astype(np.float64) + (second.astype(np.float64) - first) * fraction
    assert np.abs(image.astype(np.float64) - expected).max() <= 1.0
    assert not np.array_equal(image, first) and not np.array_equal(image, second)
    scene.deactivate()


def test_nothing_is_drawn_before_the_first_update(lava: OnnxModel) -> None:
    scene = LavaLampScene(lava_settings(), lava, inline_sequences)
    assert not scene.ready()
    canvas = RecordingCanvas()
    scene.draw(canvas, 1.0)
    assert canvas.of("image") == []
    scene.activate(0.0)
    scene.update(0.0, [])
    scene.draw(canvas, 0.4)
    assert canvas.of("image")[0].alpha == 0.4
    assert canvas.of("image")[0].fit == "contain"


def test_default_step_rate_is_real_time(lava: OnnxModel) -> None:
    scene = LavaLampScene(lava_settings(), lava, inline_sequences)
    assert lava.spec.step_seconds is not None
    assert scene.rate == pytest.approx(1.0 / lava.spec.step_seconds)


def test_reactivation_starts_again_from_keyframe_zero(lava: OnnxModel) -> None:
    settings = lava_settings(step_rate=8.0)
    frames = keyframes(settings, lava, 1)
    scene = LavaLampScene(settings, lava, inline_sequences)
    scene.activate(0.0)
    scene.update(2.0, [])
    assert scene.position == pytest.approx(16.0)
    scene.deactivate()
    scene.activate(5.0)
    scene.update(5.0, [])
    assert scene.position == 0.0
    np.testing.assert_array_equal(shown(scene), frames[0])


# A slow model ---------------------------------------------------------------------------


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # never leave a worker stuck


def test_position_waits_for_a_slow_model_and_never_jumps(
    lava: OnnxModel, gate: threading.Event
) -> None:
    made: list[ThreadedSequence[Image]] = []

    def gated_sequences(produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
        def slow(index: int) -> Image:
            if index >= 2:
                assert gate.wait(TIMEOUT)
            return produce(index)

        sequence: ThreadedSequence[Image] = ThreadedSequence(slow, name, lookahead=2)
        made.append(sequence)
        return sequence

    rate = 4.0
    scene = LavaLampScene(lava_settings(step_rate=rate), lava, gated_sequences)
    scene.activate(0.0)
    try:
        assert wait_for(lambda: made[0].newest() == 1)
        assert scene.ready()
        # Ten seconds pass (40 keyframes' worth) but only keyframes 0 and 1 exist.
        for step in range(1, 11):
            scene.update(float(step), [])
            assert scene.position <= 1.0
        assert scene.position == 1.0
        gate.set()
        assert wait_for(lambda: made[0].newest() >= 2)
        # The model caught up: motion resumes at the normal rate from where it was.
        scene.update(10.1, [])
        assert scene.position == pytest.approx(1.0 + 0.1 * rate)
        assert wait_for(lambda: made[0].newest() >= 3)
        scene.update(10.2, [])
        assert scene.position == pytest.approx(1.0 + 0.2 * rate)
    finally:
        gate.set()
        scene.deactivate()
    made[0].join()
    assert not made[0].alive


def test_scene_reports_its_sequence_failure(lava: OnnxModel) -> None:
    def failing_sequences(produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
        def broken(index: int) -> Image:
            raise RuntimeError("GPU fell over")

        return ThreadedSequence(broken, name, max_failures=2, retry_seconds=0.0)

    scene = LavaLampScene(lava_settings(), lava, failing_sequences)
    assert scene.failure is None
    scene.activate(0.0)
    try:
        assert wait_for(lambda: scene.failure is not None)
        assert scene.failure == "RuntimeError: GPU fell over"
        scene.update(1.0, [])
        assert not scene.ready()
        assert scene.position == 0.0
    finally:
        scene.deactivate()


# Colour ---------------------------------------------------------------------------------


def test_hue_shift_changes_colours(lava: OnnxModel) -> None:
    plain = LavaLampScene(lava_settings(step_rate=4.0), lava, inline_sequences)
    shifted = LavaLampScene(lava_settings(step_rate=4.0, hue_shift=90), lava, inline_sequences)
    images = []
    for scene in (plain, shifted):
        scene.activate(0.0)
        scene.update(0.0, [])
        images.append(shown(scene))
        scene.deactivate()
    raw, graded = images
    assert not np.array_equal(raw, graded)
    np.testing.assert_array_equal(graded, apply_grade(raw, grade_matrix(90, 1.0, 1.0)))


def test_no_grade_leaves_the_model_output_untouched(lava: OnnxModel) -> None:
    settings = lava_settings(step_rate=4.0, hue_shift=0, saturation=1.0, brightness=1.0)
    frames = keyframes(settings, lava, 1)
    scene = LavaLampScene(settings, lava, inline_sequences)
    scene.activate(0.0)
    scene.update(0.0, [])
    np.testing.assert_array_equal(shown(scene), frames[0])


def test_seed_changes_the_lava(lava: OnnxModel) -> None:
    one = keyframes(lava_settings(seed=1), lava, 1)[0]
    two = keyframes(lava_settings(seed=2), lava, 1)[0]
    again = keyframes(lava_settings(seed=1), lava, 1)[0]
    assert not np.array_equal(one, two)
    np.testing.assert_array_equal(one, again)


# Latent walk ----------------------------------------------------------------------------


def test_slerp_keeps_the_norm_of_equal_norm_vectors() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal(512).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    for t in np.linspace(0.0, 1.0, 11):
        assert np.linalg.norm(slerp(a, b, float(t))) == pytest.approx(np.linalg.norm(a), rel=1e-4)
    np.testing.assert_allclose(slerp(a, b, 0.0), a, rtol=1e-6)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, rtol=1e-5, atol=1e-6)


def test_slerp_of_parallel_vectors_falls_back_to_lerp() -> None:
    a = np.ones(4, dtype=np.float32)
    np.testing.assert_allclose(slerp(a, 3 * a, 0.5), 2 * a)


def test_waypoints_are_seeded_and_independent_of_history() -> None:
    np.testing.assert_array_equal(waypoint(7, 3, 32), waypoint(7, 3, 32))
    assert not np.array_equal(waypoint(7, 3, 32), waypoint(7, 4, 32))
    assert not np.array_equal(waypoint(7, 3, 32), waypoint(8, 3, 32))


def test_latent_walk_hits_waypoints_exactly(generator: OnnxModel) -> None:
    settings = walk_settings(frame_rate=15.0, seconds_per_waypoint=2.0, seed=5)
    scene = LatentWalkScene(settings, generator, inline_sequences)
    per_waypoint = 30
    for k in range(4):
        np.testing.assert_array_equal(scene.latent(k * per_waypoint), waypoint(5, k, 32))
    # ... and arrives at the next waypoint smoothly.
    near = scene.latent(2 * per_waypoint - 1)
    gap = float(np.linalg.norm(near - waypoint(5, 2, 32)))
    far = float(np.linalg.norm(waypoint(5, 1, 32) - waypoint(5, 2, 32)))
    assert gap < far / 10


def test_latent_walk_keeps_latent_norms_between_waypoints(generator: OnnxModel) -> None:
    settings = walk_settings(frame_rate=10.0, seconds_per_waypoint=1.0, seed=2)
    scene = LatentWalkScene(settings, generator, inline_sequences)
    norms = [float(np.linalg.norm(scene.latent(i))) for i in range(0, 31)]
    ends = [float(np.linalg.norm(waypoint(2, k, 32))) for k in range(4)]
    # A linear mix of near-orthogonal latents would sag to ~70% of the norm mid-way.
    assert min(norms) > 0.9 * min(ends)
    assert max(norms) < 1.1 * max(ends)


def test_latent_walk_shows_generator_images(generator: OnnxModel) -> None:
    settings = walk_settings(frame_rate=10.0, fit="cover")
    scene = LatentWalkScene(settings, generator, inline_sequences)
    scene.activate(0.0)
    scene.update(0.0, [])
    canvas = RecordingCanvas()
    scene.draw(canvas, 1.0)
    drawn = canvas.of("image")[0]
    assert drawn.image is not None
    assert drawn.image.shape == (16, 16, 3) and drawn.image.dtype == np.uint8
    assert drawn.fit == "cover"
    scene.update(0.35, [])
    assert scene.position == pytest.approx(3.5)
    produce = scene.producer()
    first, second = produce(3), produce(4)
    blended = shown(scene)
    assert np.all(blended >= np.minimum(first, second))
    assert np.all(blended <= np.maximum(first, second))
    scene.deactivate()


# Live parameters --------------------------------------------------------------------------


def test_live_hue_change_through_the_director_grades_the_next_frame(lava: OnnxModel) -> None:
    scene = LavaLampScene(lava_settings(step_rate=4.0), lava, inline_sequences)
    director = Director([scene], 0.0)
    director.start(0.0)
    director.update(0.0, [])
    raw = shown(scene)
    director.update(0.0, [SetParameter("hue_shift", 90.0, scene="lava_lamp")])
    assert scene.settings.hue_shift == 90.0
    np.testing.assert_array_equal(shown(scene), apply_grade(raw, grade_matrix(90, 1.0, 1.0)))
    director.update(0.0, [SetParameter("hue_shift", 400.0)])  # out of range: refused
    assert scene.settings.hue_shift == 90.0
    director.update(0.0, [SetParameter("step_rate", 8.0)])
    assert scene.rate == 8.0
    director.stop()


def test_a_restart_never_waits_for_the_worker(lava: OnnxModel, gate: threading.Event) -> None:
    """The worker is stuck inside a model run; restart and deactivate still return at once."""
    made: list[ThreadedSequence[Image]] = []

    def gated_sequences(produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
        def slow(index: int) -> Image:
            if index >= 1:
                assert gate.wait(TIMEOUT)
            return produce(index)

        made.append(ThreadedSequence(slow, name, lookahead=2))
        return made[-1]

    scene = LavaLampScene(lava_settings(step_rate=4.0), lava, gated_sequences)
    scene.activate(0.0)
    assert wait_for(lambda: made[0].newest() == 0)
    scene.restart(1.0)  # the worker is blocked in keyframe 1: this must not wait for it
    scene.deactivate()
    assert made[0].alive  # still stuck, and nobody waited for it
    gate.set()
    made[0].join()
    assert not made[0].alive


def test_lava_scene_runs_on_the_model_protocol_with_a_fake_model() -> None:
    model = fake_lava_lamp(latent_size=4, size=8, step_seconds=0.25)
    scene = LavaLampScene(lava_settings(seed=3), model, inline_sequences)  # type: ignore[arg-type]
    assert scene.rate == 4.0  # real time from the model's step_seconds
    produce = scene.producer()
    levels = [int(produce(i)[0, 0, 0]) for i in range(4)]
    # The fake's latent counts up by one per step: the scene feeds z_next back in.
    assert [b - a for a, b in itertools.pairwise(levels)] == [1, 1, 1]
    again = scene.producer()  # a fresh producer starts from the seed again
    assert int(again(0)[0, 0, 0]) == levels[0]
    assert model.runs == 5
