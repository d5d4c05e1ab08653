"""Export a scene-generator checkpoint to one ONNX graph that follows the ``generator`` contract.

Inputs ``z`` float32 [N, 512] (any scale: the prior and the noise projection normalise it) and
``truncation`` float32 [N]; output ``image`` uint8 [N, R, R, 3]. The scene prior, the noise
projection, the optics network and the renderer are all in the graph (``scene.generator``).
The written file is run in onnxruntime against torch before it replaces ``output``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.jit._trace import TracerWarning

from installation.training.common.onnx_export import (
    contract_metadata,
    require_agreement,
    write_onnx,
)
from installation.training.common.onnx_session import cpu_session
from installation.training.rainbow.scene.generator import SceneGenerator, to_uint8
from installation.training.rainbow.scene.train import (
    HELD_OUT_SEED,
    SCENE_CHECKPOINTS,
    SceneTrainConfig,
    scene_generator_from_checkpoint,
)

LICENSE = "MIT (trained by the installation project on its own renderer's scenes)"
ALLOWED_LEVELS = 3  # onnxruntime vs torch, 8-bit levels (float order of operations)
ALLOWED_SHARE = 0.001  # share of pixels allowed to differ by more than one level


class SceneGraph(nn.Module):
    """``(z, truncation) -> image`` uint8 NHWC."""

    def __init__(self, generator: SceneGenerator) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: Tensor, truncation: Tensor) -> Tensor:
        return to_uint8(self.generator(z, truncation))


def describe(config: SceneTrainConfig) -> str:
    seeds = config.training_seeds(config.prior_scenes)
    return (
        f"the scene sampler's draws of {config.prior_scenes} procedural rainbow scenes "
        f"(installation.training.rainbow.renderer, seeds {seeds.start}..{seeds.stop - 1}) and "
        f"the bow physics of {config.optics_scenes} of them; rendered at {config.resolution} px "
        f"(held-out scenes from seed {HELD_OUT_SEED})"
    )


def is_scene_checkpoint(path: Path) -> bool:
    """Whether ``path`` holds a scene-generator checkpoint (False for any other file; a
    missing or unreadable one is reported by the export that loads it)."""
    try:
        state = torch.load(Path(path), map_location="cpu", weights_only=False)
    except Exception:  # torch raises many types; the real load says what is wrong
        return False
    return isinstance(state, dict) and state.get("kind") == SCENE_CHECKPOINTS.kind


def export_scene_checkpoint(checkpoint: Path, output: Path) -> tuple[Path, int, int, int]:
    """Export a finished scene checkpoint; (path, bytes, resolution, largest level difference)."""
    state = SCENE_CHECKPOINTS.load(Path(checkpoint))
    if not state.get("done"):
        raise SCENE_CHECKPOINTS.unfinished(checkpoint, f"step {state['step']}")
    config, generator = scene_generator_from_checkpoint(state)
    graph = SceneGraph(generator).eval()
    r = config.resolution
    metadata = contract_metadata(
        kind="generator",
        description=(
            f"Rainbow generator: a learned prior turns a 512-float z (any scale) and a "
            f"truncation psi (0 = the average scene, 1 = full variety; 0.8 is the Runway "
            f"default) into a rainbow scene (camera aimed at the bow, sun, drops, rain, sky, "
            f"land), a learned optics network gives the bows' light, and the graph renders it "
            f"as a {r}x{r} RGB image: the bows are circles around the antisolar point."
        ),
        trained_on=describe(config),
        license=LICENSE,
        extra={"latent_size": str(generator.z_dim), "installation.generator": "scene/1"},
    )
    gen = torch.Generator().manual_seed(1)
    example = (torch.randn(2, generator.z_dim, generator=gen), torch.tensor([0.8, 1.0]))
    with warnings.catch_warnings():
        # The renderer's colour tables are made with torch.tensor inside the graph; the tracer
        # warns that they become constants, which is what they are.
        warnings.simplefilter("ignore", TracerWarning)
        output = write_onnx(
            graph,
            example,
            output,
            ["z", "truncation"],
            ["image"],
            metadata,
            __name__,
            dynamic_axes={"z": {0: "N"}, "truncation": {0: "N"}, "image": {0: "N"}},
        )
    diff = verify(output, graph, generator.z_dim, r)
    return output, output.stat().st_size, r, diff


def verify(path: Path, graph: SceneGraph, z_dim: int, resolution: int) -> int:
    """Run a batch through onnxruntime and torch; TrainingError if they disagree.

    The renderer thresholds (silhouette coverage, smoothsteps) turn float rounding into a
    level here and there, so the check allows ``ALLOWED_LEVELS`` anywhere and more than one
    level on at most ``ALLOWED_SHARE`` of the pixels.
    """
    session = cpu_session(path)
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(3, z_dim, generator=gen) * torch.tensor([[1.0], [0.5], [2.0]])
    psi = torch.tensor([0.0, 0.8, 1.0])
    with torch.no_grad():
        expected = graph(z, psi).numpy().astype(int)
    (image,) = session.run(["image"], {"z": z.numpy(), "truncation": psi.numpy()})
    shape = (3, resolution, resolution, 3)
    require_agreement(
        path, image.shape == shape and image.dtype == np.uint8, f"image {image.shape} {image.dtype}"
    )
    delta = np.abs(image.astype(int) - expected)
    share = float((delta > 1).mean())
    diff = int(delta.max())
    require_agreement(
        path,
        diff <= ALLOWED_LEVELS and share <= ALLOWED_SHARE,
        f"image up to {diff} grey levels, {share:.4%} of values by more than one",
    )
    return diff
