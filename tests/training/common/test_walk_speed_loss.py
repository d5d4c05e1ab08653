"""The walk-speed term: the scene's slerp, its running mean, and that it evens out a cliff."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from installation.scenes.latent_walk import slerp
from installation.training.common.walk_speed_loss import WalkSpeedLoss, slerp_rows


class CliffGenerator(nn.Module):
    """A 4x4 grey image whose brightness is a sigmoid of one direction of z: a plateau on
    either side and a cliff between them, as steep as ``sharpness``."""

    def __init__(self, z_dim: int = 16, sharpness: float = 8.0) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.log_sharpness = nn.Parameter(torch.tensor(float(np.log(sharpness))))
        self.register_buffer("direction", torch.eye(z_dim)[0])

    def forward(self, z: Tensor, psi: Tensor) -> Tensor:
        x = (z @ self.direction) * psi / z.norm(dim=1) * np.sqrt(self.z_dim)
        level = torch.sigmoid(self.log_sharpness.exp() * x)
        image: Tensor = level[:, None, None, None].expand(-1, 3, 4, 4) * 2 - 1
        return image


def test_slerp_rows_is_the_scenes_slerp() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 32)).astype(np.float32)
    b = rng.standard_normal((5, 32)).astype(np.float32)
    t = rng.uniform(0, 1, 5).astype(np.float32)
    got = slerp_rows(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(t)).numpy()
    want = np.stack([slerp(a[i], b[i], float(t[i])) for i in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_loss_is_relative_deviation_from_the_running_mean() -> None:
    g = CliffGenerator()
    term = WalkSpeedLoss(mean_decay=0.5)
    speeds = term.speeds(g, 8, torch.Generator().manual_seed(1)).detach()
    first = term(g, 8, torch.Generator().manual_seed(1))
    assert term.mean_speed == pytest.approx(float(speeds.mean()), rel=1e-6)
    assert float(first.detach()) == pytest.approx(
        float((speeds / speeds.mean() - 1).pow(2).mean()), 1e-5
    )
    later = term.speeds(g, 8, torch.Generator().manual_seed(2)).detach()
    term(g, 8, torch.Generator().manual_seed(2))
    assert term.mean_speed == pytest.approx(0.5 * float(speeds.mean()) + 0.5 * float(later.mean()))
    assert float(first.detach()) > 0.1  # a cliff gives uneven speeds


def test_minimising_it_flattens_the_cliff() -> None:
    g = CliffGenerator(sharpness=20.0)
    term = WalkSpeedLoss()
    rng = torch.Generator().manual_seed(0)

    def unevenness() -> float:
        with torch.no_grad():
            s = term.speeds(g, 256, torch.Generator().manual_seed(99))
        return float(s.std() / s.mean())

    before = unevenness()
    opt = torch.optim.Adam(g.parameters(), lr=0.05)
    for _ in range(60):
        opt.zero_grad()
        term(g, 16, rng).backward()  # type: ignore[no-untyped-call]
        opt.step()
    assert float(g.log_sharpness.exp()) < 10.0
    assert unevenness() < 0.7 * before


def test_step_outside_the_walk_is_refused() -> None:
    with pytest.raises(ValueError, match="walk step"):
        WalkSpeedLoss(step=1.5)
