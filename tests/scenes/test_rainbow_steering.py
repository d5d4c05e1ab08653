"""The rainbow's drift steered live: walk speed and a point on a plane through latent space."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from installation.app import offline_kit
from installation.events import Event
from installation.models.onnx_runtime import OnnxModel, load_model
from installation.scenes.rainbow import (
    RainbowScene,
    RainbowSettings,
    generate,
    latent_plane,
    plane_point,
)
from tests.onnx_factory import make_generator


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    path = make_generator(tmp_path_factory.mktemp("steer") / "gen.onnx", size=32)
    return load_model("rainbow", path, "generator", providers=("cpu",))


def scene_with(generator: OnnxModel, **values: object) -> RainbowScene:
    base: dict[str, object] = {"kind": "rainbow", "model": "rainbow", "seed": 3}
    settings = RainbowSettings.model_validate(base | values)
    events: list[Event] = []
    kit = offline_kit(events.append)
    return RainbowScene(settings, generator, kit.make_sequence, kit.make_requests, kit.emit)


def test_the_latent_plane_is_orthogonal_with_typical_norms() -> None:
    centre, u, v = latent_plane(3, 512)
    assert abs(float(u @ v)) < 1e-3 * 512 and abs(float(u @ centre)) < 1e-3 * 512
    assert float(np.linalg.norm(u)) == pytest.approx(math.sqrt(512), rel=1e-5)
    assert float(np.linalg.norm(v)) == pytest.approx(math.sqrt(512), rel=1e-5)
    plane = (centre, u, v)
    np.testing.assert_allclose(plane_point(plane, 0.5, 0.5), centre, atol=1e-5)
    corner = plane_point(plane, 1.0, 0.0)
    assert float(np.linalg.norm(corner)) == pytest.approx(float(np.linalg.norm(centre)), rel=1e-5)
    assert not np.allclose(corner, plane_point(plane, 0.0, 1.0))
    np.testing.assert_array_equal(latent_plane(3, 512)[1], u)  # the same seed, the same plane


def test_steering_converges_to_the_point_and_then_drifts_on_from_there(
    generator: OnnxModel,
) -> None:
    scene = scene_with(generator, steer_seconds=5.0, steer_smoothing=0.35)
    produce = scene.producer()
    first = produce(0)
    scene.update(0.0, [])
    assert scene.steer(0.9, 0.1, now=0.0)
    target = plane_point(latent_plane(3, 512), 0.9, 0.1)
    expected = generate(generator, target, scene.settings.drift_truncation)
    images = [produce(index) for index in range(1, 40)]
    assert not np.array_equal(images[0], first)
    np.testing.assert_allclose(images[-1].astype(float), expected.astype(float), atol=2.0)
    # Steps shrink as the latent closes in: smooth, no jump.
    steps = [float(np.abs(b.astype(float) - a.astype(float)).mean()) for a, b in pairs(images)]
    assert steps[-1] <= steps[0]
    # After steer_seconds without a new point, the walk goes on from where it was.
    scene._now = 10.0
    after = produce(40)
    assert float(np.abs(after.astype(float) - images[-1].astype(float)).mean()) < 3.0
    later = [produce(index) for index in range(41, 120)]
    assert not np.array_equal(later[-1], images[-1])  # drifting again


def pairs(images: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(itertools.pairwise(images))


def test_walk_speed_zero_holds_still_and_two_is_twice_as_far(generator: OnnxModel) -> None:
    still = scene_with(generator, walk_speed=0.0).producer()
    frames = [still(index) for index in range(5)]
    assert all(np.array_equal(frames[0], frame) for frame in frames)
    fast = scene_with(generator, walk_speed=2.0)
    slow = scene_with(generator, walk_speed=1.0)
    fast_produce, slow_produce = fast.producer(), slow.producer()
    fast_images = [fast_produce(index) for index in range(10)]
    slow_images = [slow_produce(index) for index in range(20)]
    np.testing.assert_array_equal(fast_images[5], slow_images[10])  # same walk, twice the pace


def test_speed_one_is_the_walk_of_drift_latent(generator: OnnxModel) -> None:
    scene = scene_with(generator)
    produce = scene.producer()
    images = [produce(index) for index in range(8)]  # a producer is asked in order
    for index in (0, 1, 7):
        expected = generate(generator, scene.drift_latent(index), scene.settings.drift_truncation)
        np.testing.assert_allclose(images[index].astype(float), expected.astype(float), atol=1.0)
