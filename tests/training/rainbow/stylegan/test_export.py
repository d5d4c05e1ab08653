"""The exported rainbow ONNX graph follows the generator contract (tiny untrained model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from installation.errors import TrainingError
from installation.training.rainbow.stylegan.export import (
    DEFAULT_LATENT_SMOOTHING,
    GeneratorGraph,
    export_generator,
    export_rainbow,
)
from installation.training.rainbow.stylegan.model import (
    RainbowGenerator,
    normalise_second_moment,
)
from installation.training.rainbow.stylegan.train import RainbowTrainConfig, RainbowTrainer

RESOLUTION = 16


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    generator = RainbowGenerator(
        resolution=RESOLUTION, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16
    )
    # A non-zero w_avg, as after training, so truncation has something to pull towards.
    generator.mapping.w_avg.copy_(torch.randn(16))
    path = tmp_path_factory.mktemp("rainbow_export") / "rainbow.onnx"
    return export_generator(generator, path, trained_on="nothing (test)").path


def _session(path: Path) -> Any:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _run(session: Any, z: np.ndarray, psi: np.ndarray) -> np.ndarray:
    (image,) = session.run(
        ["image"], {"z": z.astype(np.float32), "truncation": psi.astype(np.float32)}
    )
    return np.asarray(image)


def test_inputs_and_outputs_follow_the_contract(exported: Path) -> None:
    session = _session(exported)
    inputs = {i.name: i for i in session.get_inputs()}
    assert set(inputs) == {"z", "truncation"}
    assert inputs["z"].type == "tensor(float)" and inputs["z"].shape[1] == 512
    assert len(inputs["z"].shape) == 2 and isinstance(inputs["z"].shape[0], str)  # dynamic N
    assert inputs["truncation"].type == "tensor(float)" and len(inputs["truncation"].shape) == 1
    (image,) = session.get_outputs()
    assert image.name == "image" and image.type == "tensor(uint8)"
    assert image.shape[1:] == [RESOLUTION, RESOLUTION, 3]


def test_metadata_names_kind_contract_and_latent_size(exported: Path) -> None:
    model = onnx.load(str(exported))
    props = {p.key: p.value for p in model.metadata_props}
    assert props["installation.kind"] == "generator"
    assert props["installation.contract"] == "1"
    for key in ("installation.description", "installation.trained_on", "installation.license"):
        assert props[key].strip()
    assert props["latent_size"] == "512"
    assert float(props["installation.latent_smoothing"]) == DEFAULT_LATENT_SMOOTHING
    onnx.checker.check_model(model)


def test_batches_of_any_size_give_uint8_images(exported: Path) -> None:
    session = _session(exported)
    rng = np.random.default_rng(0)
    for n in (1, 3):
        image = _run(session, rng.standard_normal((n, 512)), np.full(n, 0.8))
        assert image.shape == (n, RESOLUTION, RESOLUTION, 3) and image.dtype == np.uint8


def test_psi_zero_gives_the_same_image_for_every_z(exported: Path) -> None:
    session = _session(exported)
    z = np.random.default_rng(1).standard_normal((4, 512))
    images = _run(session, z, np.zeros(4)).astype(int)
    assert (images.max(axis=0) - images.min(axis=0)).max() <= 1
    varied = _run(session, z, np.ones(4)).astype(int)
    assert (varied.max(axis=0) - varied.min(axis=0)).max() > 1


def test_truncation_is_per_sample(exported: Path) -> None:
    session = _session(exported)
    z = np.random.default_rng(2).standard_normal((2, 512))
    mixed = _run(session, z, np.array([0.0, 1.0]))
    assert np.array_equal(mixed[0], _run(session, z[:1], np.zeros(1))[0])
    assert np.array_equal(mixed[1], _run(session, z[1:], np.ones(1))[0])


def test_z_scale_does_not_matter(exported: Path) -> None:
    # Runway-style z in [-1, 1] and a standard normal z of the same direction: same image.
    session = _session(exported)
    z = np.random.default_rng(3).uniform(-1.0, 1.0, (1, 512))
    a = _run(session, z, np.ones(1)).astype(int)
    b = _run(session, z * 3.0, np.ones(1)).astype(int)
    assert np.abs(a - b).max() <= 1
    zt = torch.tensor(z)
    assert torch.allclose(
        normalise_second_moment(zt).pow(2).mean(), torch.tensor(1.0, dtype=zt.dtype)
    )


def test_export_of_an_unfinished_run_is_refused(tmp_path: Path) -> None:
    RainbowTrainer(RainbowTrainConfig.quick(), tmp_path).train(stop_after=1)
    with pytest.raises(TrainingError, match="unfinished"):
        export_rainbow(tmp_path / "checkpoint.pt", tmp_path / "x.onnx")


def test_missing_checkpoint_is_a_training_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="No checkpoint"):
        export_rainbow(tmp_path / "nope.pt", tmp_path / "x.onnx")


def _tiny_generator() -> RainbowGenerator:
    torch.manual_seed(4)
    g = RainbowGenerator(resolution=8, w_dim=16, mapping_layers=2, channel_base=64, channel_max=8)
    g.mapping.w_avg.copy_(torch.randn(16))
    return g.eval()


def test_latent_smoothing_leaves_a_linear_mapping_alone() -> None:
    """The offsets come in +/- pairs, so a locally linear mapping gives exactly its own w."""
    g = _tiny_generator()
    for layer in g.mapping.net:
        layer.activate = False  # the mapping becomes affine
    z, psi = torch.randn(5, 512), torch.full((5,), 0.8)
    with torch.no_grad():
        plain = GeneratorGraph(g, 0.0).mapped(z, psi)
        smoothed = GeneratorGraph(g, 0.3).mapped(z, psi)
    assert torch.allclose(plain, smoothed, atol=1e-4)


def test_latent_smoothing_averages_the_mapping_around_z() -> None:
    g = _tiny_generator()
    graph = GeneratorGraph(g, 0.3)
    z, psi = torch.randn(2, 512), torch.ones(2)
    with torch.no_grad():
        got = graph.mapped(z, psi)
        zn = normalise_second_moment(z)
        want = torch.stack([g.mapping.net(zn[i] + graph.offsets).mean(0) for i in range(2)])
        plain = GeneratorGraph(g, 0.0).mapped(z, psi)
    assert torch.allclose(got, want, atol=1e-5)
    assert not torch.allclose(got, plain, atol=1e-3)  # the leaky ReLUs make it differ
    assert graph.offsets.shape[0] == 32
    assert torch.allclose(graph.offsets[:16], -graph.offsets[16:])


def test_negative_latent_smoothing_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        GeneratorGraph(_tiny_generator(), -0.1)
