"""The scene generator: ``(z, psi) -> image`` through a learned scene prior and the renderer.

    z ──► ScenePrior (learned) ──► scene rows ──► camera, rain, types, optics ─┐
    │                                                                           ├─► render ──► image
    └──► fixed sparse projection ──► Φ(psi · g) ──► the scene's 77,858 uniforms ┘
                                         BowOpticsNet (learned): optics ──► bow light table

* The prior turns ``z`` into the scene sampler's draws (``scene.prior``).
* The uniforms of every other random choice (cloud and land noise lattices, palettes, ridges,
  houses) come from ``z`` as well: each is ``Φ(psi · g)`` where ``g`` is a fixed random unit
  combination of four entries of the normalised ``z`` (so ``g`` is standard normal, the
  uniform is uniform, and a slerp walk in ``z`` moves every lattice value smoothly); psi 0
  gives 0.5 everywhere: one image.
* The bow's light comes from the learned optics network (``bow_optics_net``), looked up by the
  angle from the antisolar point, so every bow is a circle around it, seen in perspective.
* The renderer (``scene.torch_renderer``) is the numpy renderer's scene, batched and blended.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from installation.training.rainbow.scene.bow_optics_net import BowOpticsNet
from installation.training.rainbow.scene.prior import LATENT_SIZE, ScenePrior, scene_parameters
from installation.training.rainbow.scene.torch_renderer import (
    Draws,
    SceneParameters,
    noise_size,
    render,
)

PROJECTION_TAPS = 4
PROJECTION_SEED = 2026


def projection(count: int, seed: int = PROJECTION_SEED) -> tuple[Tensor, Tensor]:
    """(indices [count, TAPS] into z, unit weights [count, TAPS]) of the noise projection."""
    gen = torch.Generator().manual_seed(seed)
    index = torch.randint(0, LATENT_SIZE, (count, PROJECTION_TAPS), generator=gen)
    weight = torch.randn(count, PROJECTION_TAPS, generator=gen)
    return index, weight / torch.linalg.vector_norm(weight, dim=1, keepdim=True)


class SceneGenerator(nn.Module):
    """The exported rainbow generator (the ``generator`` contract's graph, less the uint8)."""

    noise_index: Tensor
    noise_weight: Tensor

    def __init__(self, resolution: int = 256) -> None:
        super().__init__()
        self.resolution = resolution
        self.z_dim = LATENT_SIZE
        self.prior = ScenePrior()
        self.optics = BowOpticsNet()
        index, weight = projection(noise_size())
        self.register_buffer("noise_index", index.reshape(-1), persistent=False)
        self.register_buffer("noise_weight", weight, persistent=False)

    def noise(self, z: Tensor, truncation: Tensor) -> Tensor:
        """The scene's uniforms [N, noise_size()] of ``z`` at psi ``truncation``."""
        zn = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        taps = zn[:, self.noise_index].reshape(z.shape[0], -1, PROJECTION_TAPS)
        g = (taps * self.noise_weight).sum(dim=2) * truncation[:, None]
        return 0.5 * (1.0 + torch.erf(g / 2**0.5))

    def scenes(self, z: Tensor, truncation: Tensor) -> SceneParameters:
        return scene_parameters(self.prior(z, truncation))

    def forward(self, z: Tensor, truncation: Tensor) -> Tensor:
        """Display images [N, R, R, 3] in [0, 1]."""
        p = self.scenes(z, truncation)
        draws = Draws(self.noise(z, truncation))
        return render(p, draws, self.resolution, lambda s: self.optics(s.optics))


def to_uint8(images: Tensor) -> Tensor:
    """[N, H, W, 3] in [0, 1] -> uint8, rounded."""
    return torch.round(torch.clamp(images, 0.0, 1.0) * 255.0).to(torch.uint8)
