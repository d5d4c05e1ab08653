"""The one module that imports onnxruntime: provider choice, sessions, exception translation.

onnxruntime falls back to the CPU silently when a GPU provider's libraries are missing (it
only logs). We find out *why* first, by loading the provider's shared library ourselves, skip
providers that cannot load, log the reason, and afterwards read back from the session which
providers it really uses.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from installation.errors import ModelError
from installation.models.contract import ModelSpec, TensorInfo, check_contract
from installation.models.latency import ModelStats

log = logging.getLogger(__name__)

PROVIDER_NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_LIBRARIES = {
    "TensorrtExecutionProvider": "onnxruntime_providers_tensorrt",
    "CUDAExecutionProvider": "onnxruntime_providers_cuda",
}
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(uint8)": "uint8",
    "tensor(float16)": "float16",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(double)": "float64",
}
GPU_PROVIDERS = frozenset(_LIBRARIES)
_REPORTED: set[str] = set()


def version() -> str:
    return str(ort.__version__)


def available_providers() -> list[str]:
    """Providers compiled into this onnxruntime build (not necessarily loadable)."""
    return list(ort.get_available_providers())


@functools.cache
def provider_problem(provider: str) -> str | None:
    """Why ``provider`` cannot run here, or None if it can load.

    onnxruntime loads GPU providers from shared libraries next to its Python module; a
    missing CUDA/cuDNN/TensorRT library makes that load fail. We try the same load and
    return the loader's message (e.g. ``libcublasLt.so.13: cannot open shared object file``).
    """
    if provider not in available_providers():
        return (
            f"{provider} is not in this onnxruntime build ({version()}, "
            f"package {_package_name()}); install onnxruntime-gpu for CUDA/TensorRT"
        )
    library = _LIBRARIES.get(provider)
    if library is None:
        return None
    folder = Path(ort.__file__).parent / "capi"
    if sys.platform == "win32":
        names = [f"{library}.dll"]
    else:
        names = [f"lib{library}.so", f"lib{library}.dylib"]
    candidates = [folder / name for name in names if (folder / name).exists()]
    if not candidates:
        return f"{provider}: its library {names[0]} is not in {folder}"
    try:
        shared = folder / (
            "onnxruntime_providers_shared.dll"
            if sys.platform == "win32"
            else "libonnxruntime_providers_shared.so"
        )
        if shared.exists():
            ctypes.CDLL(str(shared), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
        ctypes.CDLL(str(candidates[0]))
    except OSError as exc:
        need = (
            "CUDA 13 and cuDNN 9" if provider == "CUDAExecutionProvider" else "TensorRT 10, CUDA 13"
        )
        return f"{provider} failed to load ({exc}); it needs {need} on the library path"
    return None


def _package_name() -> str:
    from importlib import metadata

    for name in ("onnxruntime-gpu", "onnxruntime"):
        try:
            metadata.version(name)
            return name
        except metadata.PackageNotFoundError:
            continue
    return "onnxruntime"


@dataclass
class ProviderChoice:
    """Providers to ask onnxruntime for, and why each preferred one was left out."""

    providers: list[str]
    skipped: dict[str, str] = field(default_factory=dict)


def choose_providers(preference: Sequence[str]) -> ProviderChoice:
    """Map show-config names (``tensorrt``, ``cuda``, ``cpu``) to loadable providers, in order."""
    choice = ProviderChoice(providers=[])
    for short in preference:
        provider = PROVIDER_NAMES[short]
        problem = provider_problem(provider)
        if problem is None:
            choice.providers.append(provider)
        else:
            choice.skipped[provider] = problem
    for provider in PROVIDER_NAMES.values():
        if provider not in choice.providers and provider not in choice.skipped:
            choice.skipped[provider] = "not listed in the show config's runtime.providers"
    if "CPUExecutionProvider" not in choice.providers:
        # CPU always stays as the last resort so a kiosk keeps showing something.
        choice.providers.append("CPUExecutionProvider")
        choice.skipped.pop("CPUExecutionProvider", None)
    return choice


def nvidia_gpu_present() -> bool:
    """True when this machine shows an NVIDIA GPU (its kernel driver), whatever onnxruntime says."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def _report_skipped(choice: ProviderChoice) -> None:
    """Say once per process, in one line, which GPU providers the show asked for and cannot use.

    On a machine without an NVIDIA GPU that is expected: one INFO line. With a GPU present,
    missing CUDA/TensorRT libraries are a set-up problem worth a WARNING.
    """
    skipped = {
        provider: reason
        for provider, reason in choice.skipped.items()
        if "not listed" not in reason and provider not in _REPORTED
    }
    if not skipped:
        return
    _REPORTED.update(skipped)
    reasons = "; ".join(f"{provider}: {reason}" for provider, reason in skipped.items())
    using = ", ".join(choice.providers)
    if nvidia_gpu_present():
        log.warning(
            "an NVIDIA GPU is present but onnxruntime cannot use it, models run on %s (%s); "
            "`installation doctor` explains",
            using,
            reasons,
        )
    else:
        log.info("no GPU provider can run here, models run on %s (%s)", using, reasons)


def _provider_options(provider: str, cache_dir: Path) -> dict[str, Any]:
    if provider == "TensorrtExecutionProvider":
        cache_dir.mkdir(parents=True, exist_ok=True)
        return {
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(cache_dir),
            "trt_timing_cache_enable": True,
            "trt_timing_cache_path": str(cache_dir),
        }
    return {}


class OnnxModel:
    """One loaded model: its contract spec, its session, the provider it really uses.

    ``run`` is called from the model's worker thread only; it records each call's latency.
    On GPU providers it uses IO binding so inputs and outputs are not copied per call
    by onnxruntime's generic path. If a run fails on a GPU provider (a driver reset, the GPU
    out of memory or gone), ``cpu_session`` makes a CPU session and the model runs there from
    then on: logged once, the show goes on.
    """

    def __init__(
        self,
        name: str,
        spec: ModelSpec,
        session: Any,
        skipped: Mapping[str, str],
        cpu_session: Callable[[], Any] | None = None,
    ) -> None:
        self.name = name
        self.spec = spec
        self._cpu_session = cpu_session
        self._session = session
        self.providers: list[str] = list(session.get_providers())
        self.provider = self.providers[0]
        self.skipped = dict(skipped)
        self.stats = ModelStats(provider=self.provider)
        self._outputs = [o.name for o in session.get_outputs()]
        self._binding = session.io_binding() if self.provider in GPU_PROVIDERS else None

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            return self._run(feeds)
        except ModelError as exc:
            if self.provider not in GPU_PROVIDERS or self._cpu_session is None:
                raise
            self._fall_back_to_cpu(exc)
            return self._run(feeds)

    def _fall_back_to_cpu(self, problem: ModelError) -> None:
        failed, reason = self.provider, _first_line(problem.__cause__ or problem)
        log.warning(
            "model %s failed on %s (%s); it runs on the CPU from now on", self.name, failed, reason
        )
        assert self._cpu_session is not None
        self._session, self._cpu_session = self._cpu_session(), None
        self.providers = list(self._session.get_providers())
        self.provider = self.stats.provider = self.providers[0]
        self._binding = None
        self.skipped[failed] = f"failed at run time: {reason}"

    def _run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        started = time.perf_counter()
        try:
            if self._binding is not None:
                for key, value in feeds.items():
                    self._binding.bind_cpu_input(key, value)
                for output in self._outputs:
                    self._binding.bind_output(output, "cpu")
                self._session.run_with_iobinding(self._binding)
                values = self._binding.copy_outputs_to_cpu()
            else:
                values = self._session.run(self._outputs, dict(feeds))
        except Exception as exc:  # onnxruntime raises several unrelated types
            raise ModelError(f"Model {self.spec.path} failed to run: {exc}") from exc
        self.stats.record((time.perf_counter() - started) * 1000.0)
        return dict(zip(self._outputs, values, strict=True))

    def zero_feeds(self) -> dict[str, np.ndarray]:
        """Valid all-zero inputs (batch 1) for warm-up and latency checks."""
        feeds: dict[str, np.ndarray] = {}
        for tensor in self._session.get_inputs():
            shape = [d if isinstance(d, int) and d > 0 else 1 for d in tensor.shape]
            feeds[tensor.name] = np.zeros(shape, dtype=_DTYPES.get(tensor.type, "float32"))
        return feeds


def _tensors(items: Sequence[Any]) -> list[TensorInfo]:
    return [
        TensorInfo(item.name, _DTYPES.get(item.type, item.type), tuple(item.shape))
        for item in items
    ]


def load_model(
    name: str,
    path: Path,
    expected_kind: str | None,
    providers: Sequence[str] = ("tensorrt", "cuda", "cpu"),
    threads: int = 1,
    cache_dir: Path | None = None,
) -> OnnxModel:
    """Open ``path``, check the contract, and return a model ready to run on its best provider."""
    if not path.is_file():
        raise ModelError(
            f"Model file {path} (model {name!r}) does not exist. Train and export it "
            "(docs/training.md: `installation train ...` then `installation export ...`), "
            "or fix the path in the show config."
        )
    choice = choose_providers(providers)
    _report_skipped(choice)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning threads burn the cores the frame loop needs (p99 6.9 ms -> 0.54 ms when off).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    cache = cache_dir or Path(
        os.environ.get("INSTALLATION_CACHE", Path.home() / ".cache" / "installation")
    )
    provider_list: list[Any] = []
    for provider in choice.providers:
        provider_options = _provider_options(provider, cache / "tensorrt")
        provider_list.append((provider, provider_options) if provider_options else provider)
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=provider_list)
    except Exception as exc:  # InvalidProtobuf, Fail, InvalidGraph, RuntimeError ...
        raise ModelError(
            f"Model file {path} (model {name!r}) could not be loaded by onnxruntime: "
            f"{_first_line(exc)}. Is it a complete ONNX file? Re-export or re-copy it."
        ) from exc
    metadata = dict(session.get_modelmeta().custom_metadata_map)
    spec = check_contract(
        path,
        metadata,
        _tensors(session.get_inputs()),
        _tensors(session.get_outputs()),
        expected_kind,
    )
    cpu_only = ["CPUExecutionProvider"]
    model = OnnxModel(
        name,
        spec,
        session,
        choice.skipped,
        lambda: ort.InferenceSession(str(path), sess_options=options, providers=cpu_only),
    )
    for provider in choice.providers:
        if provider not in model.providers:
            model.skipped[provider] = "onnxruntime did not enable it for this session (see its log)"
    log.info("model %s: %s on %s", name, path.name, model.provider)
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
