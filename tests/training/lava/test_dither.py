"""The AR(1) dither the stepper learns on top of the footage's latent trajectories."""

from __future__ import annotations

import torch

from installation.training.lava.train import dither_trajectories


def test_dither_is_a_slow_ar1_process_and_keeps_latents_standardised() -> None:
    gen = torch.Generator().manual_seed(0)
    seq = torch.zeros(256, 40, 64)
    seq[..., ::2] = 1.0  # a fixed, standardised latent: +-1 alternating
    seq[..., 1::2] = -1.0
    out = dither_trajectories(seq, std=0.25, correlation=0.9, generator=gen)
    assert out.shape == seq.shape
    # Every latent is re-standardised over its entries.
    assert torch.allclose(out.mean(dim=-1), torch.zeros(256, 40), atol=1e-5)
    assert torch.allclose(out.std(dim=-1, unbiased=False), torch.ones(256, 40), atol=1e-3)
    noise = out - seq
    # Stationary spread ~0.25 (shrunk a little by the re-standardisation) ...
    assert 0.2 < float(noise.std()) < 0.27
    # ... and a lag-1 correlation close to the one asked for; lag 20 has mostly forgotten.
    lag1 = torch.corrcoef(torch.stack([noise[:, :-1].flatten(), noise[:, 1:].flatten()]))[0, 1]
    lag20 = torch.corrcoef(torch.stack([noise[:, :-20].flatten(), noise[:, 20:].flatten()]))[0, 1]
    assert 0.85 < float(lag1) < 0.95
    assert float(lag20) < 0.3


def test_no_dither_leaves_trajectories_alone() -> None:
    seq = torch.randn(4, 10, 8)
    assert dither_trajectories(seq, 0.0, 0.95, torch.Generator()) is seq
