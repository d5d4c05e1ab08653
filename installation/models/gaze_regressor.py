"""The gaze regressor: ridge regression from gaze features to a screen point, exported to ONNX.

Fitted in closed form with numpy in a fraction of a second, so calibration needs no torch.
Two forms are tried and the better one, by error on calibration targets held out in turn
(leave-one-target-out), is kept:

- ``linear``: ridge on the standardised features (WebGazer's model, with more features);
- ``quadratic``: the same plus the pairwise products of a few compact features (the iris
  centres, ``gaze_tools.COMPACT``), which lets the mapping bend towards the screen's edges.

The exported graph is the whole mapping (standardise, expand, multiply, clip to the screen),
so the running show only feeds the feature vector: the ``gaze`` kind of the model contract.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Expansion = Literal["linear", "quadratic"]
Array = NDArray[np.float64]
ALPHAS = (1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True, eq=False)
class GazeRegressor:
    """A fitted mapping from feature vectors [N, F] to screen points [N, 2] in [0, 1]."""

    mean: Array
    scale: Array
    weights: Array
    bias: Array
    expansion: Expansion
    compact: tuple[int, ...]
    """Indices of the features whose products the quadratic form adds."""
    alpha: float
    columns: tuple[int, ...] | None = None
    """Indices of the features the linear part uses (None: all)."""

    @property
    def feature_count(self) -> int:
        return int(self.mean.shape[0])

    def design(self, features: NDArray[np.floating]) -> Array:
        standard = (np.asarray(features, np.float64) - self.mean) / self.scale
        return _design(standard, self.expansion, self.compact, self.columns)

    def predict(self, features: NDArray[np.floating]) -> Array:
        """Screen points for feature rows, clipped to the screen."""
        raw = self.design(np.atleast_2d(features)) @ self.weights + self.bias
        return np.clip(raw, 0.0, 1.0)


def _pairs(count: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    return np.triu_indices(count)


def _design(
    standard: Array,
    expansion: Expansion,
    compact: Sequence[int],
    columns: Sequence[int] | None,
) -> Array:
    """The regression's inputs from standardised features: the used columns, then (quadratic)
    the pairwise products of the compact ones."""
    linear = standard if columns is None else standard[:, list(columns)]
    if expansion == "linear":
        return linear
    part = standard[:, list(compact)]
    rows, cols = _pairs(len(compact))
    return np.concatenate([linear, part[:, rows] * part[:, cols]], axis=1)


def fit_ridge(
    features: NDArray[np.floating],
    points: NDArray[np.floating],
    alpha: float,
    expansion: Expansion = "linear",
    compact: Sequence[int] = (),
    columns: Sequence[int] | None = None,
) -> GazeRegressor:
    """Ridge regression (closed form) on standardised, optionally expanded features."""
    x = np.asarray(features, np.float64)
    y = np.asarray(points, np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant feature carries nothing; keep it finite
    used = None if columns is None else tuple(columns)
    design = _design((x - mean) / scale, expansion, compact, used)
    centre = design.mean(axis=0)
    offset = y.mean(axis=0)
    a = design - centre
    gram = a.T @ a + alpha * len(a) * np.eye(a.shape[1])
    weights = np.linalg.solve(gram, a.T @ (y - offset))
    bias = offset - centre @ weights
    return GazeRegressor(mean, scale, weights, bias, expansion, tuple(compact), alpha, used)


@dataclass(frozen=True)
class Choice:
    """The regressor calibration kept, and the held-out error of every form tried."""

    regressor: GazeRegressor
    errors: Mapping[str, float] = field(default_factory=dict)
    """``"linear alpha=0.1"`` -> mean leave-one-target-out error (screen-width units)."""


def choose_regressor(
    features: NDArray[np.floating],
    points: NDArray[np.floating],
    groups: NDArray[np.integer],
    compact: Sequence[int],
    aspect: float = 16 / 9,
    columns: Sequence[int] | None = None,
) -> Choice:
    """Fit each form and ridge strength, keep the best by leave-one-target-out error.

    ``groups`` says which target each sample was taken at; ``aspect`` (width / height)
    makes a y error count as much as the same distance in x.
    """
    x = np.asarray(features, np.float64)
    y = np.asarray(points, np.float64)
    labels = np.asarray(groups)
    errors: dict[str, float] = {}
    best: tuple[float, Expansion, float] | None = None
    for expansion in ("linear", "quadratic"):
        for alpha in ALPHAS:
            error = _held_out_error(x, y, labels, alpha, expansion, compact, aspect, columns)
            errors[f"{expansion} alpha={alpha:g}"] = error
            if best is None or error < best[0]:
                best = (error, expansion, alpha)
    assert best is not None
    _, expansion, alpha = best
    return Choice(fit_ridge(x, y, alpha, expansion, compact, columns), errors)


def _held_out_error(
    x: Array,
    y: Array,
    labels: NDArray[np.integer],
    alpha: float,
    expansion: Expansion,
    compact: Sequence[int],
    aspect: float,
    columns: Sequence[int] | None = None,
) -> float:
    distances: list[Array] = []
    for label in np.unique(labels):
        held = labels == label
        if held.all():
            continue
        model = fit_ridge(x[~held], y[~held], alpha, expansion, compact, columns)
        distances.append(screen_distance(model.predict(x[held]), y[held], aspect))
    return float(np.mean(np.concatenate(distances))) if distances else float("inf")


def screen_distance(a: Array, b: Array, aspect: float) -> Array:
    """Distances between screen points in units of the screen's width."""
    delta = (np.asarray(a) - np.asarray(b)) * np.array([1.0, 1.0 / aspect])
    return np.asarray(np.hypot(delta[:, 0], delta[:, 1]), np.float64)


def gaze_onnx(regressor: GazeRegressor, metadata: Mapping[str, str], opset: int = 17) -> bytes:
    """The regressor as a ``gaze`` model (``features`` [N, F] -> ``point`` [N, 2]), serialised
    and checked; the caller writes it (``atomic_write``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def constant(name: str, value: NDArray[np.generic]) -> onnx.TensorProto:
        return numpy_helper.from_array(value, name)

    f32 = np.float32
    initializers = [
        constant("mean", regressor.mean.astype(f32)),
        constant("inverse_scale", (1.0 / regressor.scale).astype(f32)),
        constant("weights", regressor.weights.astype(f32)),
        constant("bias", regressor.bias.astype(f32)),
        constant("low", np.array(0.0, f32)),
        constant("high", np.array(1.0, f32)),
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Mul", ["centred", "inverse_scale"], ["standard"]),
    ]
    design = "standard"
    if regressor.columns is not None:
        initializers.append(constant("columns", np.array(regressor.columns, np.int64)))
        nodes.append(helper.make_node("Gather", ["standard", "columns"], ["used"], axis=1))
        design = "used"
    if regressor.expansion == "quadratic":
        count = len(regressor.compact)
        rows, cols = _pairs(count)
        initializers += [
            constant("compact", np.array(regressor.compact, np.int64)),
            constant("pair_index", (rows * count + cols).astype(np.int64)),
            constant("axis_2", np.array([2], np.int64)),
            constant("axis_1", np.array([1], np.int64)),
            constant("flat", np.array([0, count * count], np.int64)),
        ]
        nodes += [
            helper.make_node("Gather", ["standard", "compact"], ["part"], axis=1),
            helper.make_node("Unsqueeze", ["part", "axis_2"], ["column"]),
            helper.make_node("Unsqueeze", ["part", "axis_1"], ["row"]),
            helper.make_node("Mul", ["column", "row"], ["outer"]),
            helper.make_node("Reshape", ["outer", "flat"], ["outer_flat"]),
            helper.make_node("Gather", ["outer_flat", "pair_index"], ["products"], axis=1),
            helper.make_node("Concat", [design, "products"], ["expanded"], axis=1),
        ]
        design = "expanded"
    nodes += [
        helper.make_node("MatMul", [design, "weights"], ["linear"]),
        helper.make_node("Add", ["linear", "bias"], ["raw"]),
        helper.make_node("Clip", ["raw", "low", "high"], ["point"]),
    ]
    features: list[str | int | None] = ["N", regressor.feature_count]
    graph = helper.make_graph(
        nodes,
        "gaze_regressor",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, features)],
        [helper.make_tensor_value_info("point", TensorProto.FLOAT, ["N", 2])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())
