"""A generator's latent space walked by spherical interpolation between seeded waypoints."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from installation.config.schema import LatentWalkScene as LatentWalkSettings
from installation.models.onnx_runtime import OnnxModel
from installation.scenes.base import Image, SequenceFactory
from installation.scenes.keyframe_scene import KeyframeScene


def slerp(a: NDArray[np.float32], b: NDArray[np.float32], t: float) -> NDArray[np.float32]:
    """Spherical interpolation; keeps the norm typical of Gaussian latents along the way."""
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    cos = float(np.dot(a, b) / max(norm_a * norm_b, 1e-12))
    omega = math.acos(min(1.0, max(-1.0, cos)))
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    s = math.sin(omega)
    return ((math.sin((1 - t) * omega) / s) * a + (math.sin(t * omega) / s) * b).astype(np.float32)


def waypoint(seed: int, index: int, size: int) -> NDArray[np.float32]:
    """Waypoint ``index`` of the walk for ``seed``: independent of how far the walk has gone."""
    return np.random.default_rng([seed, index]).standard_normal(size).astype(np.float32)


class LatentWalkScene(KeyframeScene):
    """Generates ``frame_rate`` images a second along the walk and blends between them."""

    def __init__(
        self, settings: LatentWalkSettings, model: OnnxModel, make_sequence: SequenceFactory[Image]
    ) -> None:
        super().__init__(
            settings.name or "latent walk", settings.frame_rate, settings.fit, make_sequence
        )
        self.settings = settings
        self.model = model
        self._frames_per_waypoint = settings.frame_rate * settings.seconds_per_waypoint
        self._truncation = np.array([settings.truncation], dtype=np.float32)

    def reset(self) -> None:
        return None

    def latent(self, index: int) -> NDArray[np.float32]:
        position = index / self._frames_per_waypoint
        segment = math.floor(position)
        size = self.model.spec.latent_size
        a = waypoint(self.settings.seed, segment, size)
        b = waypoint(self.settings.seed, segment + 1, size)
        return slerp(a, b, position - segment)

    def produce(self, index: int) -> Image:
        z = self.latent(index)[None, :]
        outputs = self.model.run({"z": z, "truncation": self._truncation})
        return np.ascontiguousarray(outputs["image"][0])
