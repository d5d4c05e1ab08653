"""The exported lava lamp ONNX graph follows the lava_lamp contract (tiny --quick model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from installation.errors import TrainingError
from installation.models.contract import TensorInfo, check_contract
from installation.training.lava.export import export_lava
from installation.training.lava.train import LavaTrainConfig, LavaTrainer

_ORT_TYPES = {"tensor(float)": "float32", "tensor(uint8)": "uint8"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("lava_run")
    LavaTrainer(LavaTrainConfig.quick(), run).train()
    return export_lava(run / "checkpoint.pt", run / "lava_lamp.onnx").path


def _session(path: Path) -> Any:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_inputs_and_outputs_follow_the_contract(exported: Path) -> None:
    session = _session(exported)
    (z,) = session.get_inputs()
    assert (z.name, z.type, z.shape) == ("z", "tensor(float)", [1, 64])
    outputs = {o.name: o for o in session.get_outputs()}
    assert set(outputs) == {"frame", "z_next"}
    assert outputs["frame"].type == "tensor(uint8)"
    assert outputs["frame"].shape == [1, 64, 64, 3]
    assert outputs["z_next"].type == "tensor(float)"
    assert outputs["z_next"].shape == [1, 64]


def test_metadata_names_kind_contract_and_step(exported: Path) -> None:
    model = onnx.load(str(exported))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["installation.kind"] == "lava_lamp"
    assert props["installation.contract"] == "1"
    for key in ("installation.description", "installation.trained_on", "installation.license"):
        assert props[key].strip()
    assert int(props["latent_size"]) == 64
    assert float(props["step_seconds"]) > 0
    onnx.checker.check_model(model)


def test_one_run_gives_a_finite_frame_and_a_standardised_next_latent(exported: Path) -> None:
    session = _session(exported)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1, 64)).astype(np.float32)
    z = (z - z.mean()) / z.std()
    for _ in range(50):
        frame, z = session.run(["frame", "z_next"], {"z": z})
        assert frame.shape == (1, 64, 64, 3) and frame.dtype == np.uint8
        assert z.shape == (1, 64) and z.dtype == np.float32
        assert np.all(np.isfinite(z))
        assert abs(float(z.mean())) < 1e-4
        assert abs(float(z.std()) - 1.0) < 1e-3
    # The latent moves: the next latent differs from the current one.
    (z2,) = session.run(["z_next"], {"z": z})
    assert not np.allclose(z2, z)


def test_passes_the_engine_contract_check(exported: Path) -> None:
    session = _session(exported)
    meta = session.get_modelmeta().custom_metadata_map

    def info(arg: Any) -> object:
        return TensorInfo(arg.name, _ORT_TYPES[arg.type], tuple(arg.shape))

    spec = check_contract(
        exported,
        meta,
        [info(a) for a in session.get_inputs()],
        [info(a) for a in session.get_outputs()],
    )
    assert spec.kind == "lava_lamp"
    assert spec.latent_size == 64


def test_missing_checkpoint_raises_training_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="No checkpoint"):
        export_lava(tmp_path / "missing.pt", tmp_path / "out.onnx")


def test_non_checkpoint_file_raises_training_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pt"
    torch.save({"hello": 1}, bogus)
    with pytest.raises(TrainingError, match="not a lava lamp checkpoint"):
        export_lava(bogus, tmp_path / "out.onnx")
