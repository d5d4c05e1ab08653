"""A run folder's training data, made once and cached as ``NAME.npy`` beside ``NAME.json``.

The JSON records what the array was made from; when it differs from what the run asks for
(another seed, resolution or video), the array is made again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

ScalarT = TypeVar("ScalarT", bound=np.generic)


def cached_array(
    run_dir: Path, name: str, made_from: dict[str, Any], make: Callable[[], NDArray[ScalarT]]
) -> NDArray[ScalarT]:
    """``make()``'s array, read back (memory-mapped) from the cache when ``made_from`` matches."""
    cache = run_dir / f"{name}.npy"
    meta_path = run_dir / f"{name}.json"
    if cache.is_file() and meta_path.is_file() and json.loads(meta_path.read_text()) == made_from:
        return np.asarray(np.load(cache, mmap_mode="r"))
    data = make()
    tmp = run_dir / f"{name}.npy.tmp.npy"
    np.save(tmp, data)
    os.replace(tmp, cache)
    meta_path.write_text(json.dumps(made_from))
    return data
