"""The pure parts of gaze: the One Euro filter, the coupling to show events, the calibration
plan and the visual angle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from installation.config.schema import AxisBinding, GazeControls
from installation.events import InputReceived, PointAt, SetParameter, Trigger
from installation.inputs.gaze.calibration_plan import (
    CALIBRATION_TARGETS,
    VALIDATION_TARGETS,
    CalibrationPlan,
    degrees_between,
)
from installation.inputs.gaze.coupling import GazeCoupling
from installation.inputs.gaze.filter import OneEuroFilter


def test_one_euro_smooths_a_still_point_and_follows_a_jump() -> None:
    rng = np.random.default_rng(1)
    smooth = OneEuroFilter(min_cutoff_hz=0.6, beta=4.0)
    still = [smooth(0.5 + rng.normal(0, 0.02), i / 30) for i in range(90)]
    assert np.std(still[30:]) < 0.25 * 0.02  # jitter mostly gone
    moved = [smooth(0.9, (90 + i) / 30) for i in range(6)]
    assert moved[-1] > 0.8  # a saccade is followed within 0.2 s
    lazy = OneEuroFilter(min_cutoff_hz=0.6, beta=0.0)
    for i in range(90):
        lazy(0.5, i / 30)
    assert [lazy(0.9, (90 + i) / 30) for i in range(6)][-1] < 0.8  # beta is what follows


def test_one_euro_ignores_a_sample_at_the_same_time_and_restarts_after_reset() -> None:
    smooth = OneEuroFilter(1.0, 0.0)
    assert smooth(0.2, 1.0) == 0.2
    assert smooth(0.9, 1.0) == 0.2
    smooth.reset()
    assert smooth(0.9, 2.0) == 0.9


def test_the_gaze_point_steers_the_named_scenes() -> None:
    coupling = GazeCoupling(GazeControls(point=("lava lamp", "rainbow")))
    events = coupling.update(0.25, 0.75, 0.0)
    points = [e for e in events if isinstance(e, PointAt)]
    assert [(p.scene, p.x, p.y, p.source) for p in points] == [
        ("lava lamp", 0.25, 0.75, "gaze"),
        ("rainbow", 0.25, 0.75, "gaze"),
    ]
    assert [type(e) for e in GazeCoupling(GazeControls(steer=False)).update(0.5, 0.5, 0)] == []


def test_gaze_x_sets_a_bound_parameter_only_when_it_moves() -> None:
    binding = AxisBinding(scene="lava lamp", parameter="hue_shift", low=-90, high=90)
    coupling = GazeCoupling(GazeControls(steer=False, x=binding))
    first = coupling.update(0.75, 0.5, 0.0)
    assert first == [SetParameter("hue_shift", 45.0, scene="lava lamp", source="gaze")]
    assert coupling.update(0.7501, 0.5, 0.1) == []
    assert coupling.update(0.25, 0.5, 0.2) == [
        SetParameter("hue_shift", -45.0, scene="lava lamp", source="gaze")
    ]


def test_a_held_look_does_the_dwell_action_once_then_cools_down() -> None:
    controls = GazeControls(
        steer=False,
        dwell_seconds=2.0,
        dwell_radius=0.05,
        dwell_action="trigger:rainbow",
        dwell_cooldown_seconds=5.0,
    )
    coupling = GazeCoupling(controls, aspect=16 / 9)
    fired: list[float] = []
    for step in range(300):  # 10 s at 30 Hz, looking at one spot with a little jitter
        now = step / 30
        x = 0.4 + 0.01 * math.sin(step)
        for event in coupling.update(x, 0.6, now):
            if isinstance(event, Trigger):
                assert event.target == "rainbow" and event.name == "gaze"
                fired.append(now)
    assert fired[0] == pytest.approx(2.0, abs=0.05)
    assert len(fired) == 2 and fired[1] >= fired[0] + 5.0


def test_a_dwell_needs_a_still_look_and_starts_over_when_the_visitor_leaves() -> None:
    controls = GazeControls(
        steer=False, dwell_seconds=1.0, dwell_radius=0.05, dwell_cooldown_seconds=0.0
    )
    coupling = GazeCoupling(controls)
    wandering = [coupling.update(0.1 + 0.1 * (i % 5), 0.5, i / 30) for i in range(121)]
    assert not any(isinstance(e, Trigger) for events in wandering for e in events)
    for i in range(20):  # looking at one spot for 0.63 s, then away (lost)
        coupling.update(0.5, 0.5, 10 + i / 30)
    coupling.lost()
    events = [coupling.update(0.5, 0.5, 11 + i / 30) for i in range(20)]
    assert not any(isinstance(e, Trigger) for batch in events for e in batch)
    later = [e for i in range(40) for e in coupling.update(0.5, 0.5, 12 + i / 30)]
    assert any(isinstance(e, Trigger) for e in later)
    assert any(isinstance(e, InputReceived) and "dwell" in e.what for e in later)


def test_click_mode_waits_for_a_click_and_samples_after_it() -> None:
    plan = CalibrationPlan("click", sample_frames=3)
    first = plan.step(0, clicks=0)
    assert first.waiting_for_click and first.sample is None
    assert plan.step(1, clicks=0).waiting_for_click
    steps = [plan.step(frame, clicks=1) for frame in range(2, 5)]
    assert [s.sample for s in steps] == [CALIBRATION_TARGETS[0]] * 3
    assert all(s.role == "calibrate" for s in steps)
    after = plan.step(5, clicks=1)
    assert after.waiting_for_click and after.target == 1 and after.shown == CALIBRATION_TARGETS[1]


def test_follow_mode_runs_by_itself_and_ends_with_validation_targets() -> None:
    plan = CalibrationPlan("follow", settle_frames=3, sample_frames=4, glide_frames=10)
    total = plan.follow_frames()
    steps = [plan.step(frame) for frame in range(total + 1)]
    assert steps[-1].done and not steps[-2].done
    validation = {s.sample for s in steps if s.role == "validate"}
    assert validation == set(VALIDATION_TARGETS)
    rests = [s for s in steps if s.role == "calibrate" and s.sample == s.shown]
    assert {s.sample for s in rests} == set(CALIBRATION_TARGETS)
    glides = [s for s in steps if s.role == "calibrate" and s.sample != s.shown]
    assert glides  # the moving dot gives samples too, lagging behind it
    assert all(s.sample is None for s in steps if s.role is None)
    assert {s.target for s in steps if s.role == "validate"} == set(
        range(len(CALIBRATION_TARGETS), plan.target_count)
    )


def test_degrees_between_screen_points() -> None:
    # 1 cm apart at the screen's centre, seen from 65 cm: atan(1/65) = 0.881 degrees.
    one_cm = 1.0 / 53.1
    assert degrees_between((0.5, 0.5), (0.5 + one_cm, 0.5), 53.1, 29.9, 65.0) == pytest.approx(
        math.degrees(math.atan(1 / 65)), rel=1e-6
    )
    assert degrees_between((0.2, 0.3), (0.2, 0.3), 53.1, 29.9, 65.0) == 0.0
    corners = degrees_between((0.0, 0.5), (1.0, 0.5), 53.1, 29.9, 65.0)
    assert corners == pytest.approx(2 * math.degrees(math.atan(26.55 / 65)), rel=1e-6)
