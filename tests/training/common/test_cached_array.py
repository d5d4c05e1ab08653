"""A run folder's cached training data: made once, remade when what it is made from changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from installation.training.common.cached_array import cached_array


class _Maker:
    def __init__(self, value: int) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> NDArray[np.uint8]:
        self.calls += 1
        return np.full((2, 3), self.value, dtype=np.uint8)


def test_made_once_then_read_back_until_the_description_changes(tmp_path: Path) -> None:
    first = _Maker(7)
    made = cached_array(tmp_path, "footage", {"seeds": [0, 1]}, first)
    again = cached_array(tmp_path, "footage", {"seeds": [0, 1]}, first)
    assert first.calls == 1
    assert np.array_equal(made, again) and again.dtype == np.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["footage.json", "footage.npy"]

    other = _Maker(9)
    remade = cached_array(tmp_path, "footage", {"seeds": [0, 2]}, other)
    assert other.calls == 1 and int(remade[0, 0]) == 9
    assert int(cached_array(tmp_path, "footage", {"seeds": [0, 2]}, first)[0, 0]) == 9
