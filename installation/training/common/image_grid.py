"""Sample grids: many same-sized images saved as one PNG (numpy and imageio only, no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def write_grid(
    path: Path, rows: NDArray[np.uint8] | Sequence[NDArray[np.uint8]], scale: int = 1
) -> None:
    """Save images [R, C, H, W, 3] (or a list of R rows [C, H, W, 3]) as one PNG grid,
    upscaled ``scale`` times by pixel repetition."""
    import imageio.v2 as imageio

    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    imageio.imwrite(path, grid)
