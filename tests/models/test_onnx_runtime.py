from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from installation.errors import ModelError
from installation.models import onnx_runtime
from installation.models.onnx_runtime import (
    OnnxModel,
    choose_providers,
    load_model,
    provider_problem,
)
from tests.onnx_factory import make_generator, make_lava_lamp


def load(path: Path, kind: str | None, tmp_path: Path, name: str = "m") -> OnnxModel:
    return load_model(name, path, kind, ("cpu",), threads=1, cache_dir=tmp_path / "cache")


@pytest.fixture(scope="module")
def lava_model(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    folder = tmp_path_factory.mktemp("rt_lava")
    path = make_lava_lamp(folder / "lava.onnx", size=32, latent_size=16, step_seconds=0.25)
    return load_model("lava", path, "lava_lamp", ("cpu",), cache_dir=folder / "cache")


@pytest.fixture(scope="module")
def generator_model(tmp_path_factory: pytest.TempPathFactory) -> OnnxModel:
    folder = tmp_path_factory.mktemp("rt_gen")
    path = make_generator(folder / "gen.onnx", size=32, latent_size=64)
    return load_model("gen", path, "generator", ("cpu",), cache_dir=folder / "cache")


# Loading --------------------------------------------------------------------------------


def test_lava_lamp_loads_with_its_spec(lava_model: OnnxModel) -> None:
    assert lava_model.name == "lava"
    assert lava_model.spec.kind == "lava_lamp"
    assert lava_model.spec.latent_size == 16
    assert lava_model.spec.image_size == (32, 32)
    assert lava_model.spec.batch == 1
    assert lava_model.spec.step_seconds == pytest.approx(0.25)
    assert lava_model.provider == "CPUExecutionProvider"
    assert lava_model.stats.provider == "CPUExecutionProvider"


def test_generator_loads_with_dynamic_batch(generator_model: OnnxModel) -> None:
    assert generator_model.spec.kind == "generator"
    assert generator_model.spec.latent_size == 64
    assert generator_model.spec.image_size == (32, 32)
    assert generator_model.spec.batch is None


def test_missing_file_names_it_and_says_how_to_get_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "lava.onnx"
    with pytest.raises(ModelError) as caught:
        load(path, "lava_lamp", tmp_path, name="lava")
    message = str(caught.value)
    assert str(path) in message
    assert "does not exist" in message
    assert "'lava'" in message
    assert "installation export" in message


def test_a_folder_is_not_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load(tmp_path, "lava_lamp", tmp_path)


def test_random_bytes_are_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.onnx"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(ModelError) as caught:
        load(path, "lava_lamp", tmp_path)
    assert str(path) in str(caught.value)
    assert "could not be loaded" in str(caught.value)
    assert caught.value.__cause__ is not None  # the onnxruntime error is kept


def test_truncated_model_is_refused_naming_the_file(tmp_path: Path) -> None:
    whole = make_lava_lamp(tmp_path / "whole.onnx")
    data = whole.read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError) as caught:
        load(path, "lava_lamp", tmp_path)
    assert str(path) in str(caught.value)


def test_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "readme.onnx"
    path.write_text("This is where the model would go.\n" * 20, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load(path, None, tmp_path)
    assert str(path) in str(caught.value)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty\.onnx"):
        load(path, None, tmp_path)


def test_kind_in_metadata_must_match_the_show(tmp_path: Path) -> None:
    path = make_lava_lamp(tmp_path / "lava.onnx", props={"installation.kind": "generator"})
    with pytest.raises(ModelError) as caught:
        load(path, "lava_lamp", tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "installation.kind is 'generator' but the show uses it as 'lava_lamp'" in message


def test_model_used_as_the_wrong_kind_is_refused(tmp_path: Path) -> None:
    path = make_generator(tmp_path / "gen.onnx", size=16, latent_size=8)
    with pytest.raises(ModelError, match="the show uses it as 'lava_lamp'"):
        load(path, "lava_lamp", tmp_path)


def test_broken_metadata_is_refused(tmp_path: Path) -> None:
    path = make_lava_lamp(tmp_path / "lava.onnx", props={"installation.contract": "0"})
    with pytest.raises(ModelError, match=r"installation\.contract is '0'"):
        load(path, "lava_lamp", tmp_path)


def test_metadata_latent_size_must_match_the_graph(tmp_path: Path) -> None:
    path = make_generator(tmp_path / "gen.onnx", size=16, latent_size=8, props={"latent_size": "9"})
    with pytest.raises(ModelError, match="z width is 8, expected 9"):
        load(path, "generator", tmp_path)


# Running --------------------------------------------------------------------------------


def test_lava_lamp_outputs_follow_the_contract(lava_model: OnnxModel) -> None:
    z = np.random.default_rng(0).standard_normal((1, 16)).astype(np.float32)
    out = lava_model.run({"z": z})
    assert set(out) == {"frame", "z_next"}
    assert out["frame"].dtype == np.uint8
    assert out["frame"].shape == (1, 32, 32, 3)
    assert out["z_next"].dtype == np.float32
    assert out["z_next"].shape == (1, 16)
    assert not np.allclose(out["z_next"], z)  # the latent moves every step


def test_generator_outputs_follow_the_contract_for_any_batch(generator_model: OnnxModel) -> None:
    z = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    out = generator_model.run({"z": z, "truncation": np.full(3, 0.7, dtype=np.float32)})
    assert out["image"].dtype == np.uint8
    assert out["image"].shape == (3, 32, 32, 3)


def test_runs_are_deterministic(generator_model: OnnxModel) -> None:
    z = np.random.default_rng(5).standard_normal((1, 64)).astype(np.float32)
    feeds = {"z": z, "truncation": np.ones(1, dtype=np.float32)}
    first, second = generator_model.run(feeds)["image"], generator_model.run(feeds)["image"]
    np.testing.assert_array_equal(first, second)


def test_stats_record_each_run(tmp_path: Path) -> None:
    model = load(make_lava_lamp(tmp_path / "lava.onnx", size=16), "lava_lamp", tmp_path)
    assert model.stats.latencies_ms == []
    for _ in range(3):
        model.run(model.zero_feeds())
    assert len(model.stats.latencies_ms) == 3
    assert all(ms >= 0.0 for ms in model.stats.latencies_ms)


def test_zero_feeds_are_valid_inputs(generator_model: OnnxModel) -> None:
    feeds = generator_model.zero_feeds()
    assert feeds["z"].shape == (1, 64) and feeds["z"].dtype == np.float32
    assert feeds["truncation"].shape == (1,)
    assert generator_model.run(feeds)["image"].shape == (1, 32, 32, 3)


def test_bad_feeds_raise_model_error_naming_the_file(lava_model: OnnxModel) -> None:
    with pytest.raises(ModelError) as caught:
        lava_model.run({"z": np.zeros((1, 5), dtype=np.float32)})
    assert str(lava_model.spec.path) in str(caught.value)
    assert "failed to run" in str(caught.value)


def test_failed_runs_are_not_recorded(lava_model: OnnxModel) -> None:
    before = len(lava_model.stats.latencies_ms)
    with pytest.raises(ModelError):
        lava_model.run({"wrong": np.zeros((1, 16), dtype=np.float32)})
    assert len(lava_model.stats.latencies_ms) == before


# Providers ------------------------------------------------------------------------------


def test_cpu_provider_has_no_problem() -> None:
    assert provider_problem("CPUExecutionProvider") is None


@pytest.mark.parametrize("provider", ["CUDAExecutionProvider", "TensorrtExecutionProvider"])
def test_gpu_provider_problem_is_none_or_names_the_provider(provider: str) -> None:
    problem = provider_problem(provider)
    assert problem is None or (problem.strip() != "" and provider in problem)


def test_provider_missing_from_the_build_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_runtime, "available_providers", lambda: ["CPUExecutionProvider"])
    problem = provider_problem.__wrapped__("CUDAExecutionProvider")
    assert problem is not None
    assert "CUDAExecutionProvider is not in this onnxruntime build" in problem
    assert "onnxruntime-gpu" in problem


def test_choose_cpu_only_leaves_the_others_out_with_reasons() -> None:
    choice = choose_providers(["cpu"])
    assert choice.providers == ["CPUExecutionProvider"]
    assert set(choice.skipped) == {"CUDAExecutionProvider", "TensorrtExecutionProvider"}
    assert all("not listed" in reason for reason in choice.skipped.values())


def test_choose_keeps_cpu_as_the_last_resort() -> None:
    choice = choose_providers(["cuda"])
    assert choice.providers[-1] == "CPUExecutionProvider"
    assert "CPUExecutionProvider" not in choice.skipped
    cuda_problem = provider_problem("CUDAExecutionProvider")
    if cuda_problem is None:
        assert choice.providers == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    else:
        assert choice.providers == ["CPUExecutionProvider"]
        assert choice.skipped["CUDAExecutionProvider"] == cuda_problem


def test_choose_follows_the_preference_order() -> None:
    choice = choose_providers(["cpu", "cuda"])
    assert choice.providers[0] == "CPUExecutionProvider"
    assert choice.providers.count("CPUExecutionProvider") == 1
    every = set(choice.providers) | set(choice.skipped)
    assert every == {"CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"}


def test_loaded_model_records_why_providers_were_left_out(lava_model: OnnxModel) -> None:
    assert "CUDAExecutionProvider" in lava_model.skipped
    assert "TensorrtExecutionProvider" in lava_model.skipped
    assert "CPUExecutionProvider" not in lava_model.skipped
    assert lava_model.providers[-1] == "CPUExecutionProvider"


# What a start says about GPU providers -----------------------------------------------------


def _unusable_gpu(provider: str) -> str | None:
    if provider in onnx_runtime.GPU_PROVIDERS:
        return f"{provider} failed to load (libcublas.so.13: cannot open shared object file)"
    return None


@pytest.mark.parametrize("gpu_present", [False, True])
def test_unusable_gpu_providers_are_one_line(
    gpu_present: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A CPU-only machine says so in one INFO line (nothing at --quiet); a machine with an
    NVIDIA GPU that onnxruntime cannot use gets one WARNING. Once per process, not per model."""
    monkeypatch.setattr(onnx_runtime, "provider_problem", _unusable_gpu)
    monkeypatch.setattr(onnx_runtime, "nvidia_gpu_present", lambda: gpu_present)
    monkeypatch.setattr(onnx_runtime, "_REPORTED", set())
    path = make_lava_lamp(tmp_path / "lava.onnx", size=16, latent_size=8)
    caplog.set_level("INFO", logger=onnx_runtime.__name__)
    for name in ("a", "b"):
        load_model(name, path, "lava_lamp", ("tensorrt", "cuda", "cpu"), cache_dir=tmp_path)
    lines = [r for r in caplog.records if "GPU" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert lines[0].levelname == ("WARNING" if gpu_present else "INFO")
    message = lines[0].getMessage()
    assert "TensorrtExecutionProvider" in message and "CUDAExecutionProvider" in message
    assert "libcublas.so.13" in message and "CPUExecutionProvider" in message
    assert not [r for r in caplog.records if r.levelname == "WARNING" and not gpu_present]


class FailingGpuSession:
    """A session that says it runs on CUDA and fails at run time, as after a driver reset."""

    def __init__(self, real: object) -> None:
        self._real = real
        self.runs = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def get_providers(self) -> list[str]:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]

    def io_binding(self) -> FailingGpuSession:
        return self

    def bind_cpu_input(self, name: str, value: object) -> None:
        return None

    def bind_output(self, name: str, device: str) -> None:
        return None

    def run_with_iobinding(self, binding: object) -> None:
        self.runs += 1
        raise RuntimeError("CUDA error: an illegal memory access was encountered")


def test_a_gpu_that_fails_at_run_time_falls_back_to_the_cpu(
    lava_model: OnnxModel, caplog: pytest.LogCaptureFixture
) -> None:
    """The run that failed on the GPU is run again on a CPU session, and every run after it:
    one WARNING, the provider and stats say CPU, the outputs are the CPU's."""
    cpu_sessions: list[object] = []

    def cpu_session() -> object:
        cpu_sessions.append(lava_model._session)
        return lava_model._session

    gpu = FailingGpuSession(lava_model._session)
    model = OnnxModel("lava", lava_model.spec, gpu, {}, cpu_session)
    assert model.provider == "CUDAExecutionProvider"
    feeds = lava_model.zero_feeds()
    caplog.set_level("WARNING", logger=onnx_runtime.__name__)
    first = model.run(feeds)
    second = model.run(feeds)
    expected = lava_model.run(feeds)
    for outputs in (first, second):
        for name, value in expected.items():
            np.testing.assert_array_equal(outputs[name], value)
    assert gpu.runs == 1 and len(cpu_sessions) == 1
    assert model.provider == model.stats.provider == "CPUExecutionProvider"
    assert "failed at run time: CUDA error" in model.skipped["CUDAExecutionProvider"]
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "runs on the CPU from now on" in warning.getMessage()


def test_a_cpu_model_that_fails_raises(lava_model: OnnxModel) -> None:
    with pytest.raises(ModelError, match="failed to run"):
        lava_model.run({"z": np.zeros((1, 3), dtype=np.float32)})
