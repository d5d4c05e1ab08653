"""The neural lava lamp: a ``lava_lamp`` model stepped forever from a seeded latent."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from installation.canvas import Image
from installation.config.schema import ModelKind, SceneSettings
from installation.models.base import Model
from installation.scenes.base import SequenceFactory
from installation.scenes.colour_grade import apply_grade, grade_matrix, is_identity
from installation.scenes.keyframe_scene import KeyframeScene, Producer


class LavaLampSettings(SceneSettings):
    """``kind = "lava_lamp"``: a ``lava_lamp`` model stepped forever, blended between steps."""

    model_kind: ClassVar[ModelKind | None] = "lava_lamp"
    live_parameters: ClassVar[frozenset[str]] = frozenset(
        {"step_rate", "hue_shift", "saturation", "brightness"}
    )

    kind: Literal["lava_lamp"]
    model: str
    step_rate: float | None = Field(
        None, gt=0.0, le=240.0, description="model steps per second; unset = real time"
    )
    hue_shift: float = Field(0.0, ge=-180.0, le=180.0, description="degrees")
    saturation: float = Field(1.0, ge=0.0, le=3.0)
    brightness: float = Field(1.0, ge=0.0, le=3.0)
    seed: int = Field(0, ge=0, le=2**31 - 1)


class LavaLampScene(KeyframeScene[LavaLampSettings]):
    """Steps the model (one ``session.run`` per step: frame + next latent) and blends steps."""

    def __init__(
        self, settings: LavaLampSettings, model: Model, make_sequence: SequenceFactory[Image]
    ) -> None:
        self.model = model
        super().__init__(settings, self._rate(settings), make_sequence)
        self._matrix: np.ndarray | None = None
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

    def producer(self) -> Producer:
        model, z = self.model, self.initial_latent()

        def produce(index: int) -> Image:
            nonlocal z
            outputs = model.run({"z": z})
            z = np.ascontiguousarray(outputs["z_next"], dtype=np.float32)
            return np.ascontiguousarray(outputs["frame"][0])

        return produce

    def grade(self, image: Image) -> Image:
        return image if self._matrix is None else apply_grade(image, self._matrix)
