"""Tiny contract-following ONNX models built with ``onnx.helper``, for tests and benchmarks.

They compute real images (a latent -> low-res colour field -> upsample -> convolutions ->
uint8 HWC), so their cost grows with resolution like a real generator's, but they need no
training and load in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 18


def _metadata(model: onnx.ModelProto, props: Mapping[str, str]) -> None:
    helper.set_model_props(model, dict(props))


def _base_props(kind: str, description: str) -> dict[str, str]:
    return {
        "installation.kind": kind,
        "installation.contract": "1",
        "installation.description": description,
        "installation.trained_on": "nothing: random weights built by tests/onnx_factory.py",
        "installation.license": "MIT",
    }


def _image_nodes(
    latent: str, latent_size: int, size: int, channels: int, layers: int, rng: np.random.Generator
) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto], str]:
    """Nodes that turn a [N, latent_size] tensor into a uint8 [N, size, size, 3] image."""
    base = 8
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    w = const(
        "w_seed",
        (rng.standard_normal((latent_size, channels * base * base)) * 0.3).astype(np.float32),
    )
    nodes.append(helper.make_node("MatMul", [latent, w], ["seed_flat"]))
    shape = const("seed_shape", np.array([-1, channels, base, base], dtype=np.int64))
    nodes.append(helper.make_node("Reshape", ["seed_flat", shape], ["seed"]))
    scales = const("scales", np.array([1, 1, size / base, size / base], dtype=np.float32))
    nodes.append(helper.make_node("Resize", ["seed", "", scales], ["up"], mode="linear"))
    current = "up"
    for i in range(layers):
        k = const(
            f"k{i}", (rng.standard_normal((channels, channels, 3, 3)) * 0.25).astype(np.float32)
        )
        nodes.append(helper.make_node("Conv", [current, k], [f"c{i}"], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Sin", [f"c{i}"], [f"s{i}"]))
        current = f"s{i}"
    rgb_k = const("k_rgb", (rng.standard_normal((3, channels, 1, 1)) * 0.5).astype(np.float32))
    nodes.append(helper.make_node("Conv", [current, rgb_k], ["rgb"]))
    nodes.append(helper.make_node("Sigmoid", ["rgb"], ["unit"]))
    scale = const("c255", np.array(255.0, dtype=np.float32))
    nodes.append(helper.make_node("Mul", ["unit", scale], ["scaled"]))
    nodes.append(helper.make_node("Transpose", ["scaled"], ["hwc"], perm=[0, 2, 3, 1]))
    nodes.append(helper.make_node("Cast", ["hwc"], ["image_u8"], to=TensorProto.UINT8))
    return nodes, inits, "image_u8"


def _save(graph: onnx.GraphProto, props: Mapping[str, str], path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 9
    _metadata(model, props)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def make_generator(
    path: Path,
    size: int = 64,
    latent_size: int = 512,
    channels: int = 8,
    layers: int = 2,
    seed: int = 0,
    props: Mapping[str, str] | None = None,
) -> Path:
    """A ``generator``: z [N, latent_size], truncation [N] -> image uint8 [N, size, size, 3]."""
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("Unsqueeze", ["truncation", "axis1"], ["psi"]),
        helper.make_node("Mul", ["z", "psi"], ["z_t"]),
    ]
    axis = numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")
    image_nodes, inits, out = _image_nodes("z_t", latent_size, size, channels, layers, rng)
    nodes += [*image_nodes, helper.make_node("Identity", [out], ["image"])]
    graph = helper.make_graph(
        nodes,
        "test_generator",
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", latent_size]),
            helper.make_tensor_value_info("truncation", TensorProto.FLOAT, ["N"]),
        ],
        [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", size, size, 3])],
        initializer=[axis, *inits],
    )
    base = _base_props("generator", f"test generator {size}x{size}")
    base["latent_size"] = str(latent_size)
    return _save(graph, base | dict(props or {}), path)


def make_lava_lamp(
    path: Path,
    size: int = 64,
    latent_size: int = 16,
    channels: int = 8,
    layers: int = 1,
    seed: int = 0,
    step_seconds: float = 0.125,
    props: Mapping[str, str] | None = None,
) -> Path:
    """A ``lava_lamp`` model: z [1, L] -> frame uint8 [1, size, size, 3], z_next [1, L].

    z_next is a rotated, re-standardised z: it moves every step and never diverges.
    """
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((latent_size, latent_size)))
    rot = numpy_helper.from_array(rotation.astype(np.float32), "rotation")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    eps = numpy_helper.from_array(np.array(1e-6, dtype=np.float32), "eps")
    nodes = [
        helper.make_node("MatMul", ["z", "rotation"], ["turned"]),
        helper.make_node("ReduceMean", ["turned", "axes"], ["mean"], keepdims=1),
        helper.make_node("Sub", ["turned", "mean"], ["centred"]),
        helper.make_node("Mul", ["centred", "centred"], ["square"]),
        helper.make_node("ReduceMean", ["square", "axes"], ["variance"], keepdims=1),
        helper.make_node("Add", ["variance", "eps"], ["variance_eps"]),
        helper.make_node("Sqrt", ["variance_eps"], ["std"]),
        helper.make_node("Div", ["centred", "std"], ["z_next"]),
    ]
    image_nodes, inits, out = _image_nodes("z", latent_size, size, channels, layers, rng)
    nodes += [*image_nodes, helper.make_node("Identity", [out], ["frame"])]
    graph = helper.make_graph(
        nodes,
        "test_lava_lamp",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, latent_size])],
        [
            helper.make_tensor_value_info("frame", TensorProto.UINT8, [1, size, size, 3]),
            helper.make_tensor_value_info("z_next", TensorProto.FLOAT, [1, latent_size]),
        ],
        initializer=[rot, axes, eps, *inits],
    )
    base = _base_props("lava_lamp", f"test lava lamp {size}x{size}")
    base |= {"latent_size": str(latent_size), "step_seconds": str(step_seconds)}
    return _save(graph, base | dict(props or {}), path)
