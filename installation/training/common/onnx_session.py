"""The training side's onnxruntime sessions: the one that measures a model, the one that checks
an export. Measuring needs onnxruntime and numpy only, not the ``train`` extra."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from installation.errors import TrainingError


def cpu_session(path: Path) -> Any:
    """A default onnxruntime CPU session (for checking an export against torch)."""
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def measuring_session(path: Path, threads: int, kind: str, model: str) -> Any:
    """A CPU session with ``threads`` intra-op threads and spinning off, for the measures.

    ``kind`` is the contract kind the measures expect (``lava_lamp``), ``model`` the name the
    commands use (``lava``). TrainingError, saying what to do, when the file is missing, is not
    a model onnxruntime can load, or is a model of another kind.
    """
    import onnxruntime as ort

    if not Path(path).is_file():
        raise TrainingError(
            f"No model at {path}. Export one with `installation export {model} CHECKPOINT`."
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several unrelated types
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TrainingError(
            f"onnxruntime cannot load {path}: {first_line}. Is it a complete ONNX file? "
            f"Export it again with `installation export {model} CHECKPOINT`."
        ) from exc
    found = model_metadata(session).get("installation.kind", kind)
    if found != kind:
        raise TrainingError(
            f"{path} is a {found!r} model; `installation measure {model}` measures {kind!r} "
            "models. Pick the measure that matches the model."
        )
    return session


def model_metadata(session: Any) -> dict[str, str]:
    """The model's metadata_props (contract keys and the model's own)."""
    return dict(session.get_modelmeta().custom_metadata_map)
