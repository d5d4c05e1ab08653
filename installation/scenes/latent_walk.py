"""A generator's latent space walked by spherical interpolation between seeded waypoints."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from installation.canvas import Image
from installation.config.schema import ModelKind, SceneSettings
from installation.models.base import Model
from installation.scenes.base import SequenceFactory
from installation.scenes.keyframe_scene import KeyframeScene, Producer


class LatentWalkSettings(SceneSettings):
    """``kind = "latent_walk"``: a ``generator`` walked through latent space by slerp."""

    model_kind: ClassVar[ModelKind | None] = "generator"
    live_parameters: ClassVar[frozenset[str]] = frozenset({"truncation"})

    kind: Literal["latent_walk"]
    model: str
    frame_rate: float = Field(15.0, gt=0.0, le=240.0, description="images generated per second")
    seconds_per_waypoint: float = Field(
        4.0, gt=0.0, le=3600.0, description="seconds from one seeded random latent to the next"
    )
    truncation: float = Field(0.8, ge=0.0, le=1.0, description="truncation psi of every image")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="which waypoints the walk visits")


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


class LatentWalkScene(KeyframeScene[LatentWalkSettings]):
    """Generates ``frame_rate`` images a second along the walk and blends between them."""

    def __init__(
        self, settings: LatentWalkSettings, model: Model, make_sequence: SequenceFactory[Image]
    ) -> None:
        super().__init__(settings, settings.frame_rate, make_sequence)
        self.model = model

    def latent(self, index: int) -> NDArray[np.float32]:
        settings = self.settings
        position = index / (settings.frame_rate * settings.seconds_per_waypoint)
        segment = math.floor(position)
        size = self.model.spec.latent_size
        a = waypoint(settings.seed, segment, size)
        b = waypoint(settings.seed, segment + 1, size)
        return slerp(a, b, position - segment)

    def producer(self) -> Producer:
        def produce(index: int) -> Image:
            # The truncation is read per image, so a live change shows from the next image on.
            truncation = np.array([self.settings.truncation], dtype=np.float32)
            outputs = self.model.run({"z": self.latent(index)[None, :], "truncation": truncation})
            return np.ascontiguousarray(outputs["image"][0])

        return produce
