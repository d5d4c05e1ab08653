"""The neural lava lamp: a ``lava_lamp`` model stepped forever from a seeded latent."""

from __future__ import annotations

import numpy as np

from installation.config.schema import LavaLampScene as LavaLampSettings
from installation.models.onnx_runtime import OnnxModel
from installation.scenes.base import Image, SequenceFactory
from installation.scenes.colour_grade import apply_grade, grade_matrix, is_identity
from installation.scenes.keyframe_scene import KeyframeScene


class LavaLampScene(KeyframeScene):
    """Steps the model (one ``session.run`` per step: frame + next latent) and blends steps."""

    def __init__(
        self, settings: LavaLampSettings, model: OnnxModel, make_sequence: SequenceFactory[Image]
    ) -> None:
        # Unset step rate = real time: one step covers step_seconds of the training footage.
        rate = settings.step_rate or 1.0 / (model.spec.step_seconds or 0.125)
        super().__init__(settings.name or "lava lamp", rate, settings.fit, make_sequence)
        self.settings = settings
        self.model = model
        matrix = grade_matrix(settings.hue_shift, settings.saturation, settings.brightness)
        # Decided once: the neutral grade costs nothing per frame.
        self._matrix = None if is_identity(matrix) else matrix
        self._z = self._initial_latent()

    def _initial_latent(self) -> np.ndarray:
        rng = np.random.default_rng(self.settings.seed)
        return rng.standard_normal((1, self.model.spec.latent_size)).astype(np.float32)

    def reset(self) -> None:
        self._z = self._initial_latent()

    def produce(self, index: int) -> Image:
        outputs = self.model.run({"z": self._z})
        self._z = np.ascontiguousarray(outputs["z_next"], dtype=np.float32)
        return np.ascontiguousarray(outputs["frame"][0])

    def grade(self, image: Image) -> Image:
        return image if self._matrix is None else apply_grade(image, self._matrix)
