"""Export a rainbow checkpoint to one ONNX graph that follows the ``generator`` contract.

Inputs ``z`` float32 [N, 512] (any scale: the mapping normalises it) and ``truncation``
float32 [N] (psi per sample); output ``image`` uint8 [N, H, W, 3] RGB. N is dynamic. The
truncation ``w = w_avg + psi (w - w_avg)`` and the uint8 HWC conversion are in the graph;
the EMA generator is what is exported.

Latent smoothing (``latent_smoothing`` sigma > 0): the graph's ``w`` is the mapping averaged
over a fixed set of small offsets of the normalised ``z`` (``sigma * e_k`` and ``-sigma * e_k``
for 16 fixed Gaussian ``e_k``): ``w(z) = mean_k layers(z/rms(z) + o_k)``, with the
mapping's layers applied to the offset points as they are. Where the mapping
is smooth this changes nothing (for a locally linear mapping the antithetic pairs cancel
exactly); where it jumps between clusters of ``w`` (the GAN's layouts), the jump is spread
over an angle of about sigma radians, so a walk crosses it in several frames instead of one.
It is randomized smoothing with the randomness fixed at export, so the graph stays
deterministic; it costs 32 runs of the small mapping network per image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from installation.errors import TrainingError
from installation.training.common.onnx_export import (
    contract_metadata,
    require_agreement,
    write_onnx,
)
from installation.training.common.onnx_session import cpu_session
from installation.training.rainbow.stylegan.model import (
    RainbowGenerator,
    normalise_second_moment,
    tensor_to_images,
)
from installation.training.rainbow.stylegan.train import (
    CHECKPOINTS,
    RainbowTrainConfig,
    ema_generator_from_checkpoint,
    load_checkpoint,
)

DEFAULT_LATENT_SMOOTHING = 0.2  # sigma of the latent smoothing, in units of the normalised z
SMOOTHING_PAIRS = 16  # antithetic offset pairs (32 mapping runs per image)
LICENSE = "MIT (model weights trained by the installation project on its own rendered images)"


class GeneratorGraph(nn.Module):
    """``(z, truncation) -> image`` uint8 NHWC: the contract's whole graph."""

    offsets: Tensor

    def __init__(self, generator: RainbowGenerator, latent_smoothing: float = 0.0) -> None:
        super().__init__()
        if latent_smoothing < 0:
            raise ValueError(f"latent smoothing must be >= 0, got {latent_smoothing}")
        self.generator = generator
        self.latent_smoothing = latent_smoothing
        e = torch.randn(
            SMOOTHING_PAIRS, generator.z_dim, generator=torch.Generator().manual_seed(0)
        )
        self.register_buffer("offsets", latent_smoothing * torch.cat([e, -e]))

    def mapped(self, z: Tensor, truncation: Tensor) -> Tensor:
        """``w`` after truncation, smoothed over the offsets when ``latent_smoothing`` > 0."""
        g = self.generator
        if self.latent_smoothing == 0:
            plain: Tensor = g.mapping(z, truncation)
            return plain
        k, z_dim = self.offsets.shape
        shifted = normalise_second_moment(z)[:, None, :] + self.offsets[None]
        # The mapping's layers directly: renormalising z + o would shrink z by 1/sqrt(1 + s²)
        # on average, a bias; unnormalised, the +/- pairs cancel to first order.
        w: Tensor = g.mapping.net(shifted.reshape(-1, z_dim))
        return g.mapping.truncate(w.reshape(-1, k, g.mapping.w_dim).mean(dim=1), truncation)

    def forward(self, z: Tensor, truncation: Tensor) -> Tensor:
        return tensor_to_images(self.generator.synthesis(self.mapped(z, truncation)))


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote and how closely onnxruntime matched torch."""

    path: Path
    size_bytes: int
    resolution: int
    image_max_abs_diff: int


def describe_training_data(config: RainbowTrainConfig) -> str:
    if config.images:
        return f"the artist's photos in {Path(config.images).name}/ at {config.resolution} px"
    seeds = config.training_seeds()
    return (
        f"{config.dataset_images} procedural rainbow scenes "
        f"(installation.training.rainbow.renderer, seeds {seeds.start}..{seeds.stop - 1}) "
        f"at {config.resolution} px"
    )


def export_generator(
    generator: RainbowGenerator,
    output: Path,
    trained_on: str,
    description: str | None = None,
    latent_smoothing: float = DEFAULT_LATENT_SMOOTHING,
) -> ExportReport:
    """Export ``generator`` to ``output`` with the contract's metadata and verify it."""
    graph = GeneratorGraph(generator.eval(), latent_smoothing).eval()
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(2, generator.z_dim, generator=gen)
    psi = torch.tensor([0.8, 1.0])
    r = generator.resolution
    metadata = contract_metadata(
        kind="generator",
        description=description
        or (
            f"Rainbow generator: a small StyleGAN2-style network turns a 512-float z (any scale) "
            f"and a truncation psi (0 = the average rainbow, 1 = full variety; 0.8 is the "
            f"Runway default) into a {r}x{r} RGB image of a rainbow scene."
        ),
        trained_on=trained_on,
        license=LICENSE,
        extra={
            "latent_size": str(generator.z_dim),
            "installation.latent_smoothing": f"{latent_smoothing:g}",
        },
    )
    output = write_onnx(
        graph,
        (z, psi),
        output,
        ["z", "truncation"],
        ["image"],
        metadata,
        __name__,
        dynamic_axes={"z": {0: "N"}, "truncation": {0: "N"}, "image": {0: "N"}},
    )
    diff = verify_against_torch(output, graph, generator.z_dim, r)
    return ExportReport(output, output.stat().st_size, r, diff)


def export_rainbow(
    checkpoint: Path, output: Path, latent_smoothing: float = DEFAULT_LATENT_SMOOTHING
) -> ExportReport:
    """Export a finished ``checkpoint``'s EMA generator to ``output`` and verify it."""
    state = load_checkpoint(Path(checkpoint))
    if not state.get("done"):
        raise CHECKPOINTS.unfinished(checkpoint, f"iteration {state['iteration']}")
    config, generator = ema_generator_from_checkpoint(state)
    return export_generator(
        generator, output, describe_training_data(config), latent_smoothing=latent_smoothing
    )


def verify_against_torch(path: Path, graph: GeneratorGraph, z_dim: int, resolution: int) -> int:
    """Run a batch through onnxruntime and torch; TrainingError if they disagree."""
    session = cpu_session(path)
    gen = torch.Generator().manual_seed(2)
    z = torch.randn(3, z_dim, generator=gen) * torch.tensor([[1.0], [0.5], [2.0]])
    psi = torch.tensor([0.0, 0.8, 1.0])
    with torch.no_grad():
        expected = graph(z, psi).numpy()
    (image,) = session.run(["image"], {"z": z.numpy(), "truncation": psi.numpy()})
    if image.shape != (3, resolution, resolution, 3) or image.dtype != np.uint8:
        raise TrainingError(f"Exported {path} gives image {image.shape} {image.dtype}.")
    diff = int(np.abs(image.astype(int) - expected.astype(int)).max())
    # uint8 rounding may flip a level where float noise crosses a boundary.
    require_agreement(path, diff <= 2, f"image {diff} grey levels")
    return diff
