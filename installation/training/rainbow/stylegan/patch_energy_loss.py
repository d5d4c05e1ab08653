"""Sliced energy distance between the patch distributions of two image batches, as a loss.

The rainbow generator's GAN loss learns shapes but, in the CPU budget, leaves the colour
distribution narrow and off by a few grey levels (muted skies, too few sunsets); the "looks
like the data" measure is dominated by exactly that, because a random projection of a 7x7
RGB patch is mostly its mean colour. This term pulls the distribution of generated patches
towards that of real patches directly: patches of every image on both sides are projected
on random unit directions (fresh each call) and compared by the 1-D energy distance
``2 E|X - Y| - E|X - X'| - E|Y - Y'|``, computed from sorted projections.

Why the energy distance and not the sliced Wasserstein distance of the two batches (the
measure's own distance, and this term's first version): the expected Wasserstein distance
between a batch of 8 images and a batch of real ones is smallest for a generator about
0.75x as spread as the data (a 1-D check: N(0, s²) against N(0, 1) with 8 vs 16 samples is
closest on average at s = 0.7-0.8), so it pulled the colours *narrower*. The energy distance
has an unbiased estimate (means over pairs of independent draws, a U-statistic), so its
gradient is unbiased too (Bellemare et al. 2017, "The Cramér distance as a solution to
biased Wasserstein gradients"). Patches of one image are not independent draws, so pairs
within an image are left out of E|X - X'|.

Written here because no library we depend on has a differentiable sliced energy distance
over grouped samples.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F


def patches_per_image(
    images: Tensor, per_image: int, size: int, generator: torch.Generator
) -> Tensor:
    """``per_image`` random ``size`` x ``size`` patches of each image, [N, per_image, C size²]."""
    n, c, h, w = images.shape
    if h < size or w < size:
        raise ValueError(f"images of {h}x{w} are smaller than {size}x{size} patches")
    ys = torch.randint(0, h - size + 1, (n, per_image), generator=generator)
    xs = torch.randint(0, w - size + 1, (n, per_image), generator=generator)
    offsets = torch.arange(size)
    rows = (ys[:, :, None] + offsets)[:, :, :, None]  # [N, P, size, 1]
    cols = (xs[:, :, None] + offsets)[:, :, None, :]  # [N, P, 1, size]
    which = torch.arange(n)[:, None, None, None]
    device = images.device
    # Advanced indices around the channel slice put their dims first: [N, P, size, size, C].
    patches = images[which.to(device), :, rows.to(device), cols.to(device)]
    return patches.reshape(n, per_image, size * size * c)


def _sorted_rows(x: Tensor) -> Tensor:
    """Each row of ``x`` sorted, differentiable (gradients follow the values).

    On the CPU numpy's sort is 4-5x faster than ``torch.sort`` (68 ms vs 15 ms for 128 x 8,192
    on one core), so the order comes from numpy and the values are gathered in torch.
    """
    if x.device.type != "cpu":
        return torch.sort(x, dim=-1).values
    order = np.argsort(x.detach().numpy(), axis=-1)
    return torch.gather(x, -1, torch.from_numpy(order))


def _pair_sum(sorted_rows: Tensor) -> Tensor:
    """Per row, the sum of |a - b| over all pairs of its (already sorted) L values.

    For sorted values v_1 <= ... <= v_L it is sum_k v_k (2k - L - 1): each v_k is the larger
    value of k - 1 pairs and the smaller of L - k.
    """
    length = sorted_rows.shape[-1]
    k = torch.arange(1, length + 1, dtype=sorted_rows.dtype, device=sorted_rows.device)
    return (sorted_rows * (2.0 * k - length - 1.0)).sum(dim=-1)


def sliced_energy_distance(
    fake: Tensor, real: Tensor, directions: int, generator: torch.Generator
) -> Tensor:
    """Unbiased estimate of the sliced energy distance of ``fake`` [N, P, D], ``real`` [M, Q, D].

    P (Q) patches of each of N (M) images. Every mean is over all pairs of patches from
    different images (cross pairs are always from different images), computed per direction
    from sorted values instead of forming the pairs.
    """
    n, p, d = fake.shape
    m, q, _ = real.shape
    if n < 2 or m < 2:
        raise ValueError("the energy distance needs at least two images on each side")
    dirs = torch.randn(d, directions, generator=generator).to(fake.device, fake.dtype)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    pf = (fake @ dirs).permute(2, 0, 1)  # [K, N, P]
    pr = (real.detach() @ dirs).permute(2, 0, 1)  # [K, M, Q]
    flat_f, flat_r = pf.reshape(directions, n * p), pr.reshape(directions, m * q)
    all_f = _pair_sum(_sorted_rows(flat_f))
    all_r = _pair_sum(_sorted_rows(flat_r))
    union = _pair_sum(_sorted_rows(torch.cat([flat_f, flat_r], dim=1)))
    within_f = _pair_sum(_sorted_rows(pf)).sum(dim=1)
    within_r = _pair_sum(_sorted_rows(pr)).sum(dim=1)
    cross = (union - all_f - all_r) / (n * p * m * q)
    between_f = (all_f - within_f) / (p * p * n * (n - 1) / 2)
    between_r = (all_r - within_r) / (q * q * m * (m - 1) / 2)
    return (2.0 * cross - between_f - between_r).mean()


def patch_energy_loss(
    fake: Tensor,
    real: Tensor,
    generator: torch.Generator,
    patch: int = 7,
    fake_patches: int = 2048,
    real_patches: int = 4096,
    directions: int = 128,
    scales: tuple[int, ...] = (1, 4),
) -> Tensor:
    """Sum over ``scales`` (average-pool factors) of the sliced patch energy distance.

    Scale 1 compares the local colour and texture of full-resolution patches; scale 4 compares
    7x7 patches of the 4x-downsampled images, i.e. the colour layout of 28x28 regions.
    ``fake_patches`` and ``real_patches`` are spread evenly over the images of each side.
    """
    total = fake.new_zeros(())
    per_fake = max(1, fake_patches // fake.shape[0])
    per_real = max(1, real_patches // real.shape[0])
    for factor in scales:
        f = F.avg_pool2d(fake, factor) if factor > 1 else fake
        r = F.avg_pool2d(real, factor) if factor > 1 else real
        total = total + sliced_energy_distance(
            patches_per_image(f, per_fake, patch, generator),
            patches_per_image(r, per_real, patch, generator),
            directions,
            generator,
        )
    return total
