"""Tests for the numpy lava lamp simulator that makes training footage."""

from __future__ import annotations

import numpy as np

from installation.training.lava.simulator import (
    GLASS_BOTTOM,
    GLASS_TOP,
    LavaSimulator,
    footage_array,
    glass_half_width,
)


def test_same_seed_gives_identical_footage() -> None:
    a = footage_array(seed=3, steps=20, step_seconds=0.1)
    b = footage_array(seed=3, steps=20, step_seconds=0.1)
    assert np.array_equal(a, b)


def test_different_seeds_give_different_footage() -> None:
    a = footage_array(seed=3, steps=5, step_seconds=0.1)
    b = footage_array(seed=4, steps=5, step_seconds=0.1)
    assert not np.array_equal(a, b)


def test_render_is_uint8_rgb_of_requested_size() -> None:
    for size in (32, 64):
        frame = LavaSimulator(seed=0, size=size).render()
        assert frame.shape == (size, size, 3)
        assert frame.dtype == np.uint8


def test_wax_stays_inside_the_glass_for_a_long_run() -> None:
    sim = LavaSimulator(seed=11)
    for _ in range(600):
        sim.step(0.1)
        assert sim.wax_inside_glass()
    assert np.all(np.isfinite(sim.velocity))


def test_wax_is_heated_rises_cools_and_sinks() -> None:
    sim = LavaSimulator(seed=5)
    heights = []
    for _ in range(1200):
        sim.step(0.1)
        heights.append(sim.position[:, 1].copy())
    y = np.asarray(heights)
    top = GLASS_TOP * 64 + 8
    bottom = GLASS_BOTTOM * 64 - 8
    # Every particle visits both the upper and the lower part of the lamp in two minutes.
    visited_top = (y < top).any(axis=0)
    visited_bottom = (y > bottom).any(axis=0)
    assert visited_top.mean() > 0.8
    assert visited_bottom.mean() > 0.8
    # Wax keeps moving: the mean height is not frozen in any 10 s window.
    window_std = y.mean(axis=1).reshape(-1, 100).std(axis=1)
    assert np.all(window_std > 0.3)


def test_molten_wax_rises_and_set_wax_sinks() -> None:
    sim = LavaSimulator(seed=2)
    sim.molten[:] = True
    sim.temperature[:] = 1.0
    sim.velocity[:] = 0.0
    y0 = sim.position[:, 1].mean()
    sim.step(0.5)
    assert sim.position[:, 1].mean() < y0  # up is negative y
    sim.molten[:] = False
    sim.temperature[:] = 0.1
    sim.velocity[:] = 0.0
    y1 = sim.position[:, 1].mean()
    sim.step(0.5)
    assert sim.position[:, 1].mean() > y1


def test_glass_tapers_towards_the_top() -> None:
    assert glass_half_width(GLASS_TOP * 64, 64) < glass_half_width(GLASS_BOTTOM * 64, 64)


def test_frame_shows_glass_and_wax_colours() -> None:
    sim = LavaSimulator(seed=1)
    sim.step(20.0)
    frame = sim.render().astype(np.int32)
    centre_column = frame[int(GLASS_TOP * 64) + 2 : int(GLASS_BOTTOM * 64) - 2, 32]
    outside = frame[32, 1]
    # The glass is brighter than the room around it; wax (red > blue) shows somewhere.
    assert centre_column.sum(axis=1).mean() > outside.sum() + 30
    assert (centre_column[:, 0] > centre_column[:, 2] + 40).any()
