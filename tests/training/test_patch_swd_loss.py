"""The generator's patch distribution term: patch sampling, quantiles, and that it pulls."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from installation.training.lava_metrics import sorted_quantiles  # noqa: E402
from installation.training.patch_swd_loss import (  # noqa: E402
    patch_swd_loss,
    random_patches,
    sliced_wasserstein,
)


def test_random_patches_are_the_pixels_they_claim() -> None:
    images = torch.arange(2 * 3 * 10 * 12, dtype=torch.float32).reshape(2, 3, 10, 12)
    gen = torch.Generator().manual_seed(3)
    patches = random_patches(images, 50, 4, gen)
    assert patches.shape == (50, 4 * 4 * 3)
    # Re-draw the same indices and compare with plain slicing.
    gen = torch.Generator().manual_seed(3)
    which = torch.randint(0, 2, (50,), generator=gen)
    ys = torch.randint(0, 7, (50,), generator=gen)
    xs = torch.randint(0, 9, (50,), generator=gen)
    for k in range(50):
        n, y, x = int(which[k]), int(ys[k]), int(xs[k])
        expected = images[n, :, y : y + 4, x : x + 4].permute(1, 2, 0).reshape(-1)
        assert torch.equal(patches[k], expected)


def test_random_patches_rejects_images_smaller_than_a_patch() -> None:
    with pytest.raises(ValueError, match="smaller than 7x7"):
        random_patches(torch.zeros(1, 3, 5, 5), 4, 7, torch.Generator())


def test_quantiles_of_a_larger_sorted_set() -> None:
    columns = np.arange(9, dtype=np.float64)[:, None]  # 0..8
    q = sorted_quantiles(columns, 3)
    # positions (k + 0.5) / 3 * 8 = 1.333, 4, 6.667
    assert np.allclose(q[:, 0], [4 / 3, 4.0, 20 / 3])
    assert np.array_equal(sorted_quantiles(columns, 9), columns)


def test_sliced_distance_of_a_shift_is_the_projected_shift() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(4096, 8, generator=gen)
    same = sliced_wasserstein(real.clone(), real, 64, torch.Generator().manual_seed(1))
    shifted = sliced_wasserstein(real + 1.0, real, 64, torch.Generator().manual_seed(1))
    assert float(same) == pytest.approx(0.0, abs=1e-6)
    # Every projection of a shift by 1 in all 8 dims moves by |sum of the unit direction|.
    dirs = torch.randn(8, 64, generator=torch.Generator().manual_seed(1))
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    assert float(shifted) == pytest.approx(float(dirs.sum(dim=0).abs().mean()), rel=1e-4)


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
        loss = patch_swd_loss(fake, real, gen, patches=256, directions=32)
        first = float(loss) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    last = float(patch_swd_loss(fake, real, gen, patches=256, directions=32))
    assert last < 0.25 * first
    mean = fake.detach().mean(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.tensor([0.7, 0.2, -0.3]), atol=0.08)
