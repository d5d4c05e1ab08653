"""Export a lava lamp checkpoint to one ONNX graph that follows the ``lava_lamp`` contract.

One ``session.run`` per displayed step: input ``z`` float32 [1, L]; outputs ``frame`` uint8
[1, 64, 64, 3] RGB, the frame *of the input* ``z``, and ``z_next`` float32 [1, L], the
latent to feed to the next run. The uint8 HWC conversion happens inside the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from installation.errors import TrainingError
from installation.training.common.onnx_export import (
    contract_metadata,
    require_agreement,
    write_onnx,
)
from installation.training.common.onnx_session import cpu_session
from installation.training.lava.model import (
    LavaGenerator,
    LavaStepper,
    standardise,
    tensor_to_frames,
)
from installation.training.lava.train import (
    CHECKPOINTS,
    LavaTrainConfig,
    load_checkpoint,
    modules_from_checkpoint,
)

LICENSE = "MIT (model weights trained by the installation project on its own simulated footage)"


class LavaStepGraph(nn.Module):
    """Generator and stepper in one module: ``z -> (frame of z as uint8 HWC, next z)``."""

    def __init__(self, generator: LavaGenerator, stepper: LavaStepper) -> None:
        super().__init__()
        self.generator = generator
        self.stepper = stepper

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        frame = tensor_to_frames(self.generator(z)[:, :3])
        return frame, self.stepper(z)


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote and how closely onnxruntime matched torch."""

    path: Path
    size_bytes: int
    latent_size: int
    frame_max_abs_diff: int
    z_next_max_abs_diff: float


def describe_training_data(config: LavaTrainConfig) -> str:
    if config.video:
        return (
            f"real lava lamp video {Path(config.video).name}, frames {config.step_seconds} s apart"
        )
    minutes = config.footage_clips * config.footage_steps_per_clip * config.step_seconds / 60.0
    return (
        f"simulated lava lamp footage (installation.training.lava.simulator): "
        f"{config.footage_clips} clips, {minutes:.0f} min at {config.step_seconds} s per step, "
        f"seeds {config.training_seeds()[0]}..{config.training_seeds()[-1]}"
    )


def export_lava(checkpoint: Path, output: Path) -> ExportReport:
    """Export ``checkpoint`` to ``output`` and verify it (onnx.checker, the model contract,
    onnxruntime against torch)."""
    state = load_checkpoint(Path(checkpoint))
    if state["stage"] in ("autoencoder", "stepper"):
        raise CHECKPOINTS.unfinished(checkpoint, f"stage {state['stage']!r}")
    config, modules = modules_from_checkpoint(state)
    graph = LavaStepGraph(modules.generator, modules.stepper).eval()
    z = standardise(torch.randn(1, config.latent_size, generator=torch.Generator().manual_seed(1)))
    metadata = contract_metadata(
        kind="lava_lamp",
        description=(
            "Neural lava lamp: a generator turns the latent z into a 64x64 frame and a learned "
            "stepper moves z to the next step; `frame` shows the input z, feed `z_next` back in."
        ),
        trained_on=describe_training_data(config),
        license=LICENSE,
        extra={"latent_size": str(config.latent_size), "step_seconds": str(config.step_seconds)},
    )
    output = write_onnx(graph, (z,), output, ["z"], ["frame", "z_next"], metadata, __name__)
    frame_diff, z_diff = verify_against_torch(output, graph, config.latent_size)
    return ExportReport(output, output.stat().st_size, config.latent_size, frame_diff, z_diff)


def verify_against_torch(path: Path, graph: LavaStepGraph, latent_size: int) -> tuple[int, float]:
    """Run a few latents through onnxruntime and torch; TrainingError if they disagree."""
    session = cpu_session(path)
    gen = torch.Generator().manual_seed(2)
    frame_diff, z_diff = 0, 0.0
    for _ in range(4):
        z = standardise(torch.randn(1, latent_size, generator=gen))
        with torch.no_grad():
            t_frame, t_next = graph(z)
        o_frame, o_next = session.run(["frame", "z_next"], {"z": z.numpy()})
        if o_frame.shape != (1, 64, 64, 3) or o_frame.dtype != np.uint8:
            raise TrainingError(f"Exported {path} has frame {o_frame.shape} {o_frame.dtype}.")
        frame_diff = max(
            frame_diff, int(np.abs(o_frame.astype(int) - t_frame.numpy().astype(int)).max())
        )
        z_diff = max(z_diff, float(np.abs(o_next - t_next.numpy()).max()))
    # uint8 rounding may flip a level; the kick's high-frequency sines amplify float noise a little.
    agrees = frame_diff <= 2 and z_diff <= 0.05
    require_agreement(path, agrees, f"frame {frame_diff} levels, z_next {z_diff:.4f}")
    return frame_diff, z_diff


def rollout_onnx(path: Path, z0: NDArray[np.float32], steps: int) -> NDArray[np.uint8]:
    """Frames [steps, H, W, 3] of an exported model run from ``z0`` [1, L]."""
    session = cpu_session(path)
    z = z0.astype(np.float32)
    frames = []
    for _ in range(steps):
        frame, z = session.run(["frame", "z_next"], {"z": z})
        frames.append(frame[0])
    return np.stack(frames)
