"""The synthetic camera must be right for the gaze figures measured on it to mean anything:
faces and eyes are found, the iris moves the way the eye turns, renders are repeatable."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from installation.inputs.gaze.eyes import EyeTracker
from tests.synthetic_gaze import (
    Appearance,
    HeadPose,
    ScreenGeometry,
    SyntheticCamera,
    moved_photo_frames,
)

GEOMETRY = ScreenGeometry(1920, 1080, 53.1, 29.9, 65.0)


@pytest.fixture(scope="module")
def camera() -> SyntheticCamera:
    return SyntheticCamera(GEOMETRY)


def iris_centroid(camera: SyntheticCamera, target: tuple[float, float]) -> tuple[float, float]:
    """The dark pixels' centroid around the image-left eye, in frame pixels."""
    pose = camera.nominal_pose()
    frame = camera.render(target, pose, Appearance(noise=0.5), np.random.default_rng(0))
    x, y = camera.project(camera.eye_centres(pose)[0])
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float64)
    crop = grey[int(y) - 8 : int(y) + 9, int(x) - 14 : int(x) + 15]
    weight = np.clip(np.percentile(crop, 15) - crop, 0, None)
    ys, xs = np.mgrid[0 : crop.shape[0], 0 : crop.shape[1]]
    return float((weight * xs).sum() / weight.sum()), float((weight * ys).sum() / weight.sum())


def test_the_iris_turns_with_the_gaze(camera: SyntheticCamera) -> None:
    left_x, _ = iris_centroid(camera, (0.0, 0.5))
    right_x, _ = iris_centroid(camera, (1.0, 0.5))
    # Unmirrored camera: looking at the screen's left turns the iris to the image's right.
    assert left_x - right_x > 3.0
    _, up_y = iris_centroid(camera, (0.5, 0.0))
    _, down_y = iris_centroid(camera, (0.5, 1.0))
    assert down_y > up_y


def test_faces_and_both_eyes_are_found_in_posed_frames(camera: SyntheticCamera) -> None:
    rng = np.random.default_rng(11)
    found = 0
    for _ in range(40):
        tracker = EyeTracker()  # a fresh search each frame: no help from tracking
        target = (float(rng.uniform()), float(rng.uniform()))
        frame = camera.render(target, camera.random_pose(rng), camera.random_appearance(rng), rng)
        observation = tracker.observe(frame)
        found += observation is not None and observation.found == 2
    assert found >= 34


def test_the_moved_photograph_is_found_in_most_frames() -> None:
    tracker = EyeTracker()
    seen = sum(tracker.observe(frame) is not None for frame in moved_photo_frames(60, seed=2))
    assert seen >= 57


def test_renders_repeat_for_the_same_random_state(camera: SyntheticCamera) -> None:
    pose = HeadPose(28.0, 10.0, 70.0, 3.0)
    look = camera.random_appearance(np.random.default_rng(4))
    first = camera.render((0.3, 0.7), pose, look, np.random.default_rng(9))
    again = camera.render((0.3, 0.7), pose, look, np.random.default_rng(9))
    other = camera.render((0.7, 0.3), pose, look, np.random.default_rng(9))
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_visual_angles_follow_the_geometry() -> None:
    one_cm = 1.0 / GEOMETRY.width_cm
    angle = GEOMETRY.degrees_between((0.5, 0.5), (0.5 + one_cm, 0.5))
    assert angle == pytest.approx(math.degrees(math.atan(1 / 65)), rel=1e-6)
