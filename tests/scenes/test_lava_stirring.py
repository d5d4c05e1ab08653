"""The lava lamp stirred by a point (a visitor's gaze): a nudge that keeps the latent's norm,
fades out when the points stop, and leaves an unstirred lamp exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

from installation.app import offline_kit
from installation.models.onnx_runtime import OnnxModel, load_model
from installation.scenes.lava_lamp import LavaLampScene, LavaLampSettings, stir_plane
from tests.onnx_factory import make_lava_lamp

inline_sequences = offline_kit(lambda event: None).make_sequence


@pytest.fixture(scope="module")
def lava(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    folder = tmp_path_factory.mktemp("stir_lava")
    path = make_lava_lamp(folder / "lava.onnx", size=16, latent_size=16)
    return load_model("lava", path, "lava_lamp", ("cpu",), cache_dir=folder)


def scene(lava: OnnxModel, **values: object) -> LavaLampScene:
    settings = LavaLampSettings.model_validate(
        {"kind": "lava_lamp", "model": "lava", "step_rate": 10.0, **values}
    )
    return LavaLampScene(settings, lava, inline_sequences)


def test_the_stirring_plane_is_orthonormal() -> None:
    u, v = stir_plane(4, 64)
    assert float(u @ u) == pytest.approx(1.0, abs=1e-5)
    assert float(v @ v) == pytest.approx(1.0, abs=1e-5)
    assert abs(float(u @ v)) < 1e-5


def test_a_point_nudges_the_latent_and_keeps_its_norm(lava: OnnxModel) -> None:
    lamp = scene(lava, stir=0.5)
    z = lamp.initial_latent()
    assert lamp._stirred(z) is z  # nobody looking: untouched
    lamp.update(0.0, [])
    assert lamp.steer(0.9, 0.5, now=0.0)
    nudged = lamp._stirred(z)
    assert np.linalg.norm(nudged) == pytest.approx(np.linalg.norm(z), rel=1e-5)
    u, _ = stir_plane(0, 16)
    assert float(nudged[0] @ u) > float(z[0] @ u)  # towards +x of the plane
    centre = scene(lava, stir=0.5)
    centre.steer(0.5, 0.5, 0.0)
    assert np.allclose(centre._stirred(z), z)  # the centre of the screen stirs nothing


def test_the_stirring_fades_out_after_the_last_point(lava: OnnxModel) -> None:
    lamp = scene(lava, stir=0.5, stir_seconds=2.0)
    lamp.steer(0.1, 0.1, now=10.0)
    weights = []
    for now in (10.0, 10.25, 11.0, 11.5, 12.25, 13.0):
        lamp.update(now, [])
        weights.append(lamp.stir_weight())
    assert weights[0] == weights[1] == 1.0
    assert weights[1] > weights[2] > weights[3] > weights[4]
    assert weights[4] == pytest.approx(0.0, abs=1e-9) and weights[5] == 0.0


def test_stirred_frames_differ_and_unstirred_ones_do_not(lava: OnnxModel) -> None:
    still = scene(lava)
    produce = still.producer()
    same = [produce(i) for i in range(6)]
    again = scene(lava).producer()
    assert all(np.array_equal(a, again(i)) for i, a in enumerate(same))
    stirred = scene(lava, stir=2.0)
    stirred.update(0.0, [])
    stirred.steer(1.0, 1.0, 0.0)
    produce = stirred.producer()
    frames = [produce(i) for i in range(6)]
    assert any(not np.array_equal(a, b) for a, b in zip(frames[1:], same[1:], strict=True))
