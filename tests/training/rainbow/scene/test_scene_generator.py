"""The scene generator: its renderer against the numpy renderer, the prior, the optics network,
and a --quick run through training, resuming and export."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from installation.errors import TrainingError
from installation.models.onnx_runtime import load_model
from installation.training.rainbow import renderer
from installation.training.rainbow.commands import (
    configure_export,
    configure_train,
    run_export,
    run_train,
)
from installation.training.rainbow.scene import torch_renderer as sr
from installation.training.rainbow.scene.bow_optics_net import (
    BowOpticsNet,
    bow_angles,
    physics_table,
)
from installation.training.rainbow.scene.generator import SceneGenerator, to_uint8
from installation.training.rainbow.scene.prior import (
    CONTINUOUS,
    SCENE_COLUMNS,
    ScenePrior,
    aim_camera_torch,
    energy_distance,
    sampler_rows,
    scene_parameters,
)
from installation.training.rainbow.scene.train import (
    SCENE_CHECKPOINTS,
    SceneTrainConfig,
    SceneTrainer,
)

SEEDS = range(1_000_000, 1_000_016)


def _parse(configure: object, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)  # type: ignore[operator]
    return parser.parse_args(list(argv))


def test_the_camera_is_rebuilt_from_the_draws_as_the_sampler_builds_it() -> None:
    rows = torch.from_numpy(sampler_rows(SEEDS)).double()
    p = scene_parameters(rows)
    for i, seed in enumerate(SEEDS):
        scene, draws = renderer.draw_scene(seed)
        cam = scene.camera
        assert float(p.pitch[i]) == pytest.approx(cam.pitch_deg, abs=1e-4)
        assert float(p.yaw[i]) == pytest.approx(cam.yaw_deg, abs=1e-4)
        assert float(p.fov[i]) == pytest.approx(cam.fov_deg, abs=1e-4)
        assert float(p.sun[i]) == pytest.approx(cam.sun_elevation_deg, abs=1e-4)
        lo, hi = scene.rain_azimuth
        if lo > -180.0:
            assert float(p.rain_lo[i]) == pytest.approx(lo, abs=1e-4)
            assert float(p.rain_hi[i]) == pytest.approx(hi, abs=1e-4)
        assert draws.rain_open == float(lo <= -180.0)
        assert float(p.rain_top[i]) == pytest.approx(scene.rain_top_deg, abs=1e-4)
    pitch, yaw, _, _ = aim_camera_torch(rows)
    assert torch.equal(pitch, p.pitch) and torch.equal(yaw, p.yaw)


def test_every_pixel_sees_the_same_angle_as_the_numpy_camera() -> None:
    rows = torch.from_numpy(sampler_rows(SEEDS[:4]))
    p = scene_parameters(rows)
    d = sr.view_directions(p, 32).double()
    for i, seed in enumerate(SEEDS[:4]):
        expected = renderer.view_directions(renderer.sample_scene(seed).camera, 32)
        assert np.abs(d[i].numpy() - expected).max() < 1e-5


def test_value_noise_matches_the_numpy_definition() -> None:
    """The grid_sample form of value noise equals the renderer's smoothstep lattice noise."""
    rng = np.random.default_rng(3)
    lattice = rng.random((2, sr.LATTICE, sr.LATTICE))
    offsets = rng.random((2, 2))
    u = np.concatenate([lattice.reshape(-1), offsets.reshape(-1)])[None].astype(np.float32)
    x = rng.uniform(-90, 90, (1, 8, 8)).astype(np.float32)
    y = rng.uniform(-90, 90, (1, 8, 8)).astype(np.float32)
    ours = sr.value_noise(
        sr.Draws(torch.from_numpy(u)), torch.from_numpy(x), torch.from_numpy(y), 2
    )

    class Replay:  # hands the same lattices and offsets to renderer.value_noise
        def __init__(self) -> None:
            self.calls = [lattice[0], offsets[0] * 1.0, lattice[1], offsets[1] * 1.0]

        def random(self, shape: object) -> np.ndarray:
            return self.calls.pop(0)

    expected = renderer.value_noise(Replay(), x[0].astype(np.float64), y[0].astype(np.float64), 2)  # type: ignore[arg-type]
    assert np.abs(ours[0].numpy() - expected).max() < 1e-4


def test_half_size_fields_are_resized_as_the_numpy_renderer_does() -> None:
    rows = torch.from_numpy(sampler_rows(SEEDS[:1]))
    frame = sr._frame(scene_parameters(rows), 16)
    field = torch.rand(1, 8, 8)
    m = renderer.resize_matrix(8, 16)
    assert np.abs(frame.up(field)[0].numpy() - m @ field[0].numpy() @ m.T).max() < 1e-5


def test_one_landscape_type_at_weight_one_is_that_landscape() -> None:
    rows = torch.from_numpy(sampler_rows(SEEDS[:2]))
    p = scene_parameters(rows)
    u = torch.rand(2, sr.noise_size(), generator=torch.Generator().manual_seed(0))
    tables = lambda s: torch.zeros(s.sun.shape[0], sr.BOW_SAMPLES, 3)  # noqa: E731
    images = []
    for t in range(len(renderer.LANDSCAPES)):
        land = torch.zeros(2, len(renderer.LANDSCAPES))
        land[:, t] = 1.0
        q = sr.SceneParameters(**{**p.__dict__, "land": land})
        images.append(sr.render(q, sr.Draws(u), 48, tables))
    # Every type gives its own picture; a blend of two lies between them.
    for a in range(len(images)):
        for b in range(a + 1, len(images)):
            assert float((images[a] - images[b]).abs().mean()) > 1e-3
    half = torch.zeros(2, len(renderer.LANDSCAPES))
    half[:, 0] = half[:, 2] = 0.5
    q = sr.SceneParameters(**{**p.__dict__, "land": half})
    blend = sr.render(q, sr.Draws(u), 48, tables)
    lo = torch.minimum(images[0], images[2]) - 0.05
    hi = torch.maximum(images[0], images[2]) + 0.05
    assert float(((blend >= lo) & (blend <= hi)).float().mean()) > 0.95


def test_the_torch_scene_looks_like_the_numpy_scene() -> None:
    """Same scene parameters, other noise: the sky, land and bow colours agree on average."""
    tables = torch.from_numpy(
        np.stack([physics_table(renderer.sample_scene(s).optics) for s in SEEDS])
    )
    rows = torch.from_numpy(sampler_rows(SEEDS))
    u = torch.rand(len(SEEDS), sr.noise_size(), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = sr.render(scene_parameters(rows), sr.Draws(u), 64, lambda s: tables)
    ours_u8 = to_uint8(ours).numpy().astype(float)
    real = renderer.render_dataset(SEEDS, 64).astype(float)
    # Mean colour per image (noise moves clouds, ridges and houses, not the scene's look).
    diff = np.abs(ours_u8.mean(axis=(1, 2)) - real.mean(axis=(1, 2)))
    assert np.median(diff) < 6.0


def test_prior_rows_are_in_range_and_truncation_collapses_them() -> None:
    prior = ScenePrior()
    z = torch.randn(64, 512, generator=torch.Generator().manual_seed(0))
    rows = prior(z, torch.ones(64))
    assert rows.shape == (64, SCENE_COLUMNS)
    assert torch.allclose(rows[:, :4].sum(dim=1), torch.ones(64))
    cont = rows[:, 9:]
    assert torch.all(cont >= prior.low - 1e-5) and torch.all(cont <= prior.high + 1e-5)
    same = prior(z, torch.zeros(64))
    assert torch.allclose(same, same[:1].expand_as(same))
    assert len(CONTINUOUS) == SCENE_COLUMNS - 9


def test_energy_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift() -> None:
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 5, generator=gen), torch.randn(500, 5, generator=gen)
    assert abs(float(energy_distance(a, b))) < 0.05
    assert float(energy_distance(a, b + 0.5)) > 0.2


def test_optics_network_features_follow_the_airy_scale() -> None:
    net = BowOpticsNet()
    out = net(torch.tensor([[0.2, 0.1, 0.3, 2.5, 0.4], [0.4, 0.0, 0.1, 3.0, 0.3]]))
    assert out.shape == (2, sr.BOW_SAMPLES, 3) and bool(torch.all(out >= 0))
    assert float(bow_angles()[-1]) == pytest.approx((sr.BOW_SAMPLES - 1) * sr.BOW_STEP_DEG)


def test_a_walk_in_z_moves_the_image_gradually() -> None:
    g = SceneGenerator(resolution=32).eval()
    gen = torch.Generator().manual_seed(5)
    a, b = torch.randn(1, 512, generator=gen), torch.randn(1, 512, generator=gen)
    ts = torch.linspace(0, 1, 25)[:, None]
    omega = torch.acos((a / a.norm() * b / b.norm()).sum())
    z = (torch.sin((1 - ts) * omega) * a + torch.sin(ts * omega) * b) / torch.sin(omega)
    with torch.no_grad():
        frames = g(z, torch.full((25,), 0.8))
    steps = (frames[1:] - frames[:-1]).abs().mean(dim=(1, 2, 3))
    assert float(steps.max()) < 8 * float(steps.median())


def test_quick_train_resume_export(tmp_path: Path) -> None:
    run = tmp_path / "run"
    SceneTrainer(SceneTrainConfig.quick(), run).train(stop_after=5)
    state = SCENE_CHECKPOINTS.load(run / "checkpoint.pt")
    assert (state["step"], state["done"]) == (5, False)
    with pytest.raises(TrainingError, match="unfinished"):
        run_export(
            _parse(
                configure_export, str(run / "checkpoint.pt"), "--output", str(tmp_path / "x.onnx")
            )
        )
    assert run_train(_parse(configure_train, "--quick", "--out", str(run), "--resume")) == 0
    state = SCENE_CHECKPOINTS.load(run / "checkpoint.pt")
    assert state["done"] and state["step"] == SceneTrainConfig.quick().steps
    for name in ("samples.png", "truncation.png", "real.png", "summary.json"):
        assert (run / name).is_file()
    out = tmp_path / "rainbow.onnx"
    assert (
        run_export(_parse(configure_export, str(run / "checkpoint.pt"), "--output", str(out))) == 0
    )
    load_model("rainbow", out, "generator", providers=("cpu",))  # the show accepts it
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    z = np.random.default_rng(0).uniform(-1, 1, (2, 512)).astype(np.float32)
    (image,) = session.run(["image"], {"z": z, "truncation": np.full(2, 0.8, np.float32)})
    assert image.shape == (2, 32, 32, 3) and image.dtype == np.uint8
    again = session.run(["image"], {"z": z, "truncation": np.full(2, 0.8, np.float32)})[0]
    assert np.array_equal(image, again)
    psi0 = session.run(["image"], {"z": z, "truncation": np.zeros(2, np.float32)})[0]
    assert np.array_equal(psi0[0], psi0[1])
    with pytest.raises(TrainingError, match="latent-smoothing"):
        run_export(
            _parse(
                configure_export,
                str(run / "checkpoint.pt"),
                "--output",
                str(out),
                "--latent-smoothing",
                "0.1",
            )
        )


def test_a_resumed_run_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    # Stopped inside the walk stage (6 optics + 6 prior steps, then walks): the walk term's
    # running mean speed has to come back from the checkpoint too.
    config = SceneTrainConfig.quick()
    walking = config.optics_steps + config.prior_steps + 2
    straight = SceneTrainer(config, tmp_path / "a")
    straight.train(stop_after=walking)
    interrupted = SceneTrainer(config, tmp_path / "b")
    interrupted.train(stop_after=walking - 1)
    resumed = SceneTrainer(config, tmp_path / "b", resume=True)
    assert resumed.walk_loss.mean_speed > 0.0
    resumed.train(stop_after=1)
    for a, b in zip(straight.generator.parameters(), resumed.generator.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    assert resumed.walk_loss.mean_speed == pytest.approx(straight.walk_loss.mean_speed)
    assert math.isfinite(resumed.history[-1]["prior_energy_distance"])
    assert resumed.history[-1]["walk_worst_ratio"] >= 1.0
