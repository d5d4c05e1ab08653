"""The neural lava lamp: a ``lava_lamp`` model stepped forever from a seeded latent.

A point (a visitor's gaze, ``PointAt``) *stirs* it: each step the latent is nudged along a
direction of a plane through latent space picked by the point ((0.5, 0.5) = no nudge), and
scaled back to its norm, so the stepper keeps it on the manifold it was trained on and the
lamp never diverges. When the points stop, the stirring fades out over ``stir_seconds`` and
the lamp flows on by itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from installation.canvas import Image
from installation.config.schema import ModelKind, SceneSettings
from installation.events import Event
from installation.models.base import Model
from installation.scenes.base import SequenceFactory
from installation.scenes.colour_grade import apply_grade, grade_matrix, is_identity
from installation.scenes.keyframe_scene import KeyframeScene, Producer


class LavaLampSettings(SceneSettings):
    """``kind = "lava_lamp"``: a ``lava_lamp`` model stepped forever, blended between steps."""

    model_kind: ClassVar[ModelKind | None] = "lava_lamp"
    live_parameters: ClassVar[frozenset[str]] = frozenset(
        {"step_rate", "hue_shift", "saturation", "brightness", "stir"}
    )

    kind: Literal["lava_lamp"]
    model: str
    step_rate: float | None = Field(
        None, gt=0.0, le=240.0, description="model steps per second; unset = real time"
    )
    hue_shift: float = Field(0.0, ge=-180.0, le=180.0, description="degrees")
    saturation: float = Field(
        1.0, ge=0.0, le=3.0, description="colour saturation factor (1 = as trained, 0 = grey)"
    )
    brightness: float = Field(1.0, ge=0.0, le=3.0, description="brightness factor (1 = as trained)")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="the starting latent (and the stir plane)")
    stir: float = Field(
        0.25, ge=0.0, le=4.0, description="how hard a point (gaze) nudges the latent, per second"
    )
    stir_seconds: float = Field(
        2.0, gt=0.0, le=600.0, description="after the last point, the stirring fades out"
    )


def stir_plane(seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two orthonormal latent directions for a scene seed: x and y of a stirring point."""
    rng = np.random.default_rng([seed, 0x571])
    u, v = rng.standard_normal((2, size))
    u /= np.linalg.norm(u)
    v -= u * (v @ u)
    v /= np.linalg.norm(v)
    return u.astype(np.float32), v.astype(np.float32)


class LavaLampScene(KeyframeScene[LavaLampSettings]):
    """Steps the model (one ``session.run`` per step: frame + next latent) and blends steps."""

    def __init__(
        self, settings: LavaLampSettings, model: Model, make_sequence: SequenceFactory[Image]
    ) -> None:
        self.model = model
        super().__init__(settings, self._rate(settings), make_sequence)
        self._matrix: np.ndarray | None = None
        self._plane = stir_plane(settings.seed, model.spec.latent_size)
        self._stir: tuple[np.ndarray, float] | None = None
        """The nudge direction and when it was asked for; replaced whole (read by the worker)."""
        self._now = 0.0
        self.reconfigure(settings)

    def _rate(self, settings: LavaLampSettings) -> float:
        # Unset step rate = real time: one step covers step_seconds of the training footage.
        return settings.step_rate or 1.0 / (self.model.spec.step_seconds or 0.125)

    def reconfigure(self, settings: LavaLampSettings) -> None:
        super().reconfigure(settings)
        self.rate = self._rate(settings)
        matrix = grade_matrix(settings.hue_shift, settings.saturation, settings.brightness)
        # Decided once per change: the neutral grade costs nothing per frame.
        self._matrix = None if is_identity(matrix) else matrix

    def initial_latent(self) -> np.ndarray:
        rng = np.random.default_rng(self.settings.seed)
        return rng.standard_normal((1, self.model.spec.latent_size)).astype(np.float32)

    def steer(self, x: float, y: float, now: float) -> bool:
        """Stir towards (x, y): the further from the centre, the stronger the nudge."""
        u, v = self._plane
        self._stir = (((2.0 * x - 1.0) * u + (2.0 * y - 1.0) * v).astype(np.float32), now)
        return True

    def update(self, now: float, events: Sequence[Event]) -> None:
        self._now = now
        super().update(now, events)

    def stir_weight(self) -> float:
        """1 while points arrive, easing to 0 over ``stir_seconds`` after the last one."""
        stir = self._stir
        if stir is None:
            return 0.0
        age = max(0.0, self._now - stir[1] - 0.25)
        fade = min(1.0, age / self.settings.stir_seconds)
        return 0.5 + 0.5 * math.cos(math.pi * fade)

    def _stirred(self, z: np.ndarray) -> np.ndarray:
        stir, weight = self._stir, self.stir_weight()
        if stir is None or weight <= 0.0 or self.settings.stir <= 0.0:
            return z
        norm = float(np.linalg.norm(z))
        step = self.settings.stir * weight / self.rate * norm
        nudged = z + step * stir[0][None, :]
        return (nudged * (norm / max(float(np.linalg.norm(nudged)), 1e-12))).astype(np.float32)

    def producer(self) -> Producer:
        model, z = self.model, self.initial_latent()

        def produce(index: int) -> Image:
            nonlocal z
            z = self._stirred(z)
            outputs = model.run({"z": z})
            z = np.ascontiguousarray(outputs["z_next"], dtype=np.float32)
            return np.ascontiguousarray(outputs["frame"][0])

        return produce

    def grade(self, image: Image) -> Image:
        return image if self._matrix is None else apply_grade(image, self._matrix)
