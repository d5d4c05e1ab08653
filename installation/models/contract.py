"""The model contract, version 1 (see DESIGN.md): metadata and tensor names, shapes, dtypes.

Checked on every model at load; a model that breaks it is refused with one ``ModelError``
naming the file and every mismatch. Works on plain descriptions of the graph so it needs no
onnxruntime import and is easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from installation.errors import ModelError

CONTRACT_VERSION = "1"
REQUIRED_METADATA = (
    "installation.kind",
    "installation.contract",
    "installation.description",
    "installation.trained_on",
    "installation.license",
)
Dim = int | str | None
"""A tensor dimension: a fixed size, or a symbolic name / None for a dynamic one."""


@dataclass(frozen=True)
class TensorInfo:
    """Name, element type (``float32``, ``uint8``, ...) and shape of one graph input or output."""

    name: str
    dtype: str
    shape: tuple[Dim, ...]


@dataclass(frozen=True)
class ModelSpec:
    """What the contract check learned about a model, for the scenes that use it."""

    path: Path
    kind: str
    latent_size: int
    image_size: tuple[int, int] | None
    """(height, width) of the image output; None for models without one (gaze)."""
    batch: int | None
    """Fixed batch size, or None when the batch dimension is dynamic."""
    step_seconds: float | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return self.metadata.get("installation.description", "")


def check_contract(
    path: Path,
    metadata: Mapping[str, str],
    inputs: Sequence[TensorInfo],
    outputs: Sequence[TensorInfo],
    expected_kind: str | None = None,
) -> ModelSpec:
    """Return the model's spec, or raise one ``ModelError`` listing every mismatch."""
    problems: list[str] = []
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        problems.append(f"metadata lacks {', '.join(missing)}")
    kind = metadata.get("installation.kind", "")
    version = metadata.get("installation.contract")
    if version is not None and version != CONTRACT_VERSION:
        problems.append(
            f"installation.contract is {version!r}, this app reads {CONTRACT_VERSION!r}"
        )
    if expected_kind is not None and kind and kind != expected_kind:
        problems.append(f"installation.kind is {kind!r} but the show uses it as {expected_kind!r}")
    checker = _CHECKERS.get(kind)
    if checker is None:
        if kind:
            problems.append(f"unknown installation.kind {kind!r} (known: {', '.join(_CHECKERS)})")
        raise _error(path, problems)
    spec = checker(
        path, metadata, {t.name: t for t in inputs}, {t.name: t for t in outputs}, problems
    )
    if problems or spec is None:
        raise _error(path, problems)
    return spec


def _error(path: Path, problems: list[str]) -> ModelError:
    listed = "; ".join(problems)
    return ModelError(
        f"Model {path} breaks the model contract v{CONTRACT_VERSION}: {listed}. "
        "Re-export it with `installation export ...` or fix the show config's `kind`."
    )


def _tensor(
    table: Mapping[str, TensorInfo],
    name: str,
    role: str,
    dtype: str,
    rank: int,
    problems: list[str],
) -> TensorInfo | None:
    tensor = table.get(name)
    if tensor is None:
        present = ", ".join(table) or "none"
        problems.append(f"no {role} named {name!r} (it has: {present})")
        return None
    if tensor.dtype != dtype:
        problems.append(f"{role} {name!r} is {tensor.dtype}, expected {dtype}")
    if len(tensor.shape) != rank:
        problems.append(f"{role} {name!r} has shape {list(tensor.shape)}, expected rank {rank}")
        return None
    return tensor


def _fixed(dim: Dim) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def _latent_size(metadata: Mapping[str, str], problems: list[str]) -> int:
    raw = metadata.get("latent_size")
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        value = 0
    if value <= 0:
        problems.append(f"metadata latent_size must be a positive integer (got {raw!r})")
    return value


def _expect(dim: Dim, value: int, what: str, problems: list[str]) -> None:
    if _fixed(dim) != value:
        problems.append(f"{what} is {dim!r}, expected {value}")


def _image_size(tensor: TensorInfo, what: str, problems: list[str]) -> tuple[int, int] | None:
    height, width, channels = (_fixed(d) for d in tensor.shape[1:])
    if channels != 3:
        problems.append(f"{what} must end in 3 RGB channels (shape {list(tensor.shape)})")
    if height is None or width is None:
        problems.append(f"{what} needs a fixed height and width (shape {list(tensor.shape)})")
        return None
    return height, width


def _check_lava_lamp(
    path: Path,
    metadata: Mapping[str, str],
    inputs: Mapping[str, TensorInfo],
    outputs: Mapping[str, TensorInfo],
    problems: list[str],
) -> ModelSpec | None:
    latent = _latent_size(metadata, problems)
    z = _tensor(inputs, "z", "input", "float32", 2, problems)
    frame = _tensor(outputs, "frame", "output", "uint8", 4, problems)
    z_next = _tensor(outputs, "z_next", "output", "float32", 2, problems)
    for tensor in (t for t in (z, z_next) if t is not None):
        _expect(tensor.shape[0], 1, f"{tensor.name} batch", problems)
        _expect(tensor.shape[1], latent, f"{tensor.name} width", problems)
    size = _image_size(frame, "output 'frame'", problems) if frame is not None else None
    try:
        step_seconds = float(metadata.get("step_seconds", "nan"))
    except ValueError:
        step_seconds = float("nan")
    if not step_seconds > 0:
        raw = metadata.get("step_seconds")
        problems.append(f"metadata step_seconds must be a positive number (got {raw!r})")
    if problems:
        return None
    return ModelSpec(path, "lava_lamp", latent, size, 1, step_seconds, dict(metadata))


def _check_generator(
    path: Path,
    metadata: Mapping[str, str],
    inputs: Mapping[str, TensorInfo],
    outputs: Mapping[str, TensorInfo],
    problems: list[str],
) -> ModelSpec | None:
    latent = _latent_size(metadata, problems)
    z = _tensor(inputs, "z", "input", "float32", 2, problems)
    truncation = _tensor(inputs, "truncation", "input", "float32", 1, problems)
    image = _tensor(outputs, "image", "output", "uint8", 4, problems)
    if z is not None:
        _expect(z.shape[1], latent, "z width", problems)
    size = _image_size(image, "output 'image'", problems) if image is not None else None
    batch = _fixed(z.shape[0]) if z is not None else None
    if truncation is not None and _fixed(truncation.shape[0]) not in (None, batch):
        problems.append("truncation's batch dimension differs from z's")
    if problems:
        return None
    return ModelSpec(path, "generator", latent, size, batch, None, dict(metadata))


def _check_gaze(
    path: Path,
    metadata: Mapping[str, str],
    inputs: Mapping[str, TensorInfo],
    outputs: Mapping[str, TensorInfo],
    problems: list[str],
) -> ModelSpec | None:
    features = _tensor(inputs, "features", "input", "float32", 2, problems)
    point = _tensor(outputs, "point", "output", "float32", 2, problems)
    if point is not None:
        _expect(point.shape[1], 2, "point width", problems)
    if "features" not in metadata:
        problems.append("metadata lacks features (name + version of the feature extractor)")
    width = _fixed(features.shape[1]) if features is not None else None
    if features is not None and width is None:
        problems.append("features needs a fixed width")
    if problems or width is None:
        return None
    batch = _fixed(features.shape[0]) if features is not None else None
    return ModelSpec(path, "gaze", width, None, batch, None, dict(metadata))


_CHECKERS = {"lava_lamp": _check_lava_lamp, "generator": _check_generator, "gaze": _check_gaze}
