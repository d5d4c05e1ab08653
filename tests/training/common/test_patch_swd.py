"""The patch SWD ratio both models' "looks like the data" measure uses."""

from __future__ import annotations

import numpy as np

from installation.training.common.patch_swd import (
    patch_swd_ratio,
    random_patches,
    sliced_wasserstein,
)


def test_patch_swd_ratio_separates_alike_from_unlike() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 120, (60, 16, 16, 3)).astype(np.uint8)
    set_a, set_b = base[:30], base[30:]
    alike = rng.integers(0, 120, (30, 16, 16, 3)).astype(np.uint8)
    unlike = (alike + 100).astype(np.uint8)  # brighter everywhere
    _, _, ratio_alike = patch_swd_ratio(alike, set_a, set_b, directions=64, repeats=2)
    _, _, ratio_unlike = patch_swd_ratio(unlike, set_a, set_b, directions=64, repeats=2)
    assert ratio_alike < 2.0
    assert ratio_unlike > 10.0


def test_sliced_wasserstein_of_unequal_sets_compares_quantiles() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3000, 4))
    b = rng.standard_normal((2000, 4))
    assert sliced_wasserstein(a, b, directions=32, seed=0) < 0.1
    assert sliced_wasserstein(a + 1.0, b, directions=32, seed=0) > 0.3


def test_random_patches_are_windows_of_the_frames() -> None:
    frames = np.arange(2 * 6 * 6 * 3, dtype=np.uint8).reshape(2, 6, 6, 3)  # every value unique
    patches = random_patches(frames, per_frame=5, size=3, seed=0)
    assert patches.shape == (10, 27)
    windows = [
        {
            tuple(frames[n, y : y + 3, x : x + 3].reshape(-1).tolist())
            for y in range(4)
            for x in range(4)
        }
        for n in range(2)
    ]
    # Patches 0-4 are windows of frame 0, patches 5-9 windows of frame 1.
    for i, patch in enumerate(patches):
        assert tuple(patch.astype(int).tolist()) in windows[i // 5]
