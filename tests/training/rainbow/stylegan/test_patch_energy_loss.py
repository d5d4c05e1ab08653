"""The generator's patch distribution term: patch sampling, pair sums, unbiasedness, pull."""

from __future__ import annotations

import itertools

import pytest
import torch

from installation.training.rainbow.stylegan.patch_energy_loss import (
    _pair_sum,
    patch_energy_loss,
    patches_per_image,
    sliced_energy_distance,
)


def test_patches_are_the_pixels_they_claim() -> None:
    images = torch.arange(2 * 3 * 10 * 12, dtype=torch.float32).reshape(2, 3, 10, 12)
    patches = patches_per_image(images, 25, 4, torch.Generator().manual_seed(3))
    assert patches.shape == (2, 25, 4 * 4 * 3)
    gen = torch.Generator().manual_seed(3)
    ys = torch.randint(0, 7, (2, 25), generator=gen)
    xs = torch.randint(0, 9, (2, 25), generator=gen)
    for n, k in itertools.product(range(2), range(25)):
        y, x = int(ys[n, k]), int(xs[n, k])
        expected = images[n, :, y : y + 4, x : x + 4].permute(1, 2, 0).reshape(-1)
        assert torch.equal(patches[n, k], expected)


def test_images_smaller_than_a_patch_are_refused() -> None:
    with pytest.raises(ValueError, match="smaller than 7x7"):
        patches_per_image(torch.zeros(1, 3, 5, 5), 4, 7, torch.Generator())


def test_pair_sum_matches_brute_force() -> None:
    values = torch.randn(3, 9, generator=torch.Generator().manual_seed(0))
    brute = torch.tensor(
        [sum(abs(float(a) - float(b)) for a, b in itertools.combinations(row, 2)) for row in values]
    )
    assert torch.allclose(_pair_sum(torch.sort(values, dim=1).values), brute, atol=1e-4)


def _grouped(gen: torch.Generator, images: int, spread: float) -> torch.Tensor:
    """4 correlated 2-D 'patches' per image: an image mean ~ N(0, spread²) plus small noise."""
    means = torch.randn(images, 1, 2, generator=gen) * spread
    return means + 0.3 * torch.randn(images, 4, 2, generator=gen)


def test_estimate_is_unbiased_where_the_batch_wasserstein_distance_is_not() -> None:
    # With 8 fake images against 16 real ones, the estimate is smallest on average for the
    # real spread (1.0), not for a narrower one; and about 0 when the two are alike.
    gen = torch.Generator().manual_seed(0)
    means = {}
    for spread in (0.7, 1.0, 1.3):
        draws = [
            float(sliced_energy_distance(_grouped(gen, 8, spread), _grouped(gen, 16, 1.0), 4, gen))
            for _ in range(1500)
        ]
        means[spread] = sum(draws) / len(draws)
    assert means[1.0] < means[0.7] and means[1.0] < means[1.3]
    assert abs(means[1.0]) < 0.005 < means[0.7]


def test_needs_two_images_a_side() -> None:
    with pytest.raises(ValueError, match="two images"):
        sliced_energy_distance(torch.zeros(1, 4, 3), torch.zeros(5, 4, 3), 2, torch.Generator())


def test_gradient_steps_pull_the_colours_towards_the_real_ones() -> None:
    gen = torch.Generator().manual_seed(0)
    real = (
        torch.rand(16, 3, 32, 32, generator=gen) * 0.2
        + torch.tensor([0.6, 0.1, -0.4])[None, :, None, None]
    )
    fake = torch.zeros(4, 3, 32, 32, requires_grad=True)
    opt = torch.optim.Adam([fake], lr=0.05)
    first = None
    for _ in range(60):
        loss = patch_energy_loss(fake, real, gen, fake_patches=256, real_patches=512, directions=32)
        first = float(loss) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    last = float(patch_energy_loss(fake, real, gen, fake_patches=256, directions=32))
    assert last < 0.1 * first
    mean = fake.detach().mean(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.tensor([0.7, 0.2, -0.3]), atol=0.08)
