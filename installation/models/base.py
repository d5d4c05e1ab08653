"""What scenes need of a model: the ``Model`` protocol (no onnxruntime here).

``installation.models.onnx_runtime.OnnxModel`` implements it; scene tests use a fake from
``tests/fakes.py``. Scenes depend on this protocol only, so they never import onnxruntime.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from installation.models.contract import ModelSpec


class Model(Protocol):
    """A loaded model that follows the contract: its name in the show, its spec, a way to run."""

    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> ModelSpec: ...

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once on named input tensors; returns the named outputs. Worker threads only."""
        ...
