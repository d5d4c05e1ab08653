"""Seeding and the random-number state a checkpoint carries."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from installation.training.common.seeding import (
    restore_rng_state,
    rng_state,
    seed_everything,
)


def _draws(sampler: Any) -> tuple[float, float, float, float]:
    return (
        random.random(),
        float(np.random.random()),
        float(torch.rand(1)),
        float(torch.rand(1, generator=sampler)),
    )


def test_a_restored_state_repeats_every_generator() -> None:
    seed_everything(3)
    sampler = torch.Generator().manual_seed(4)
    saved = rng_state(sampler)
    first = _draws(sampler)
    assert _draws(sampler) != first
    other = torch.Generator()
    restore_rng_state(saved, other)
    assert _draws(other) == first


def test_the_same_seed_gives_the_same_draws() -> None:
    sampler = torch.Generator().manual_seed(0)
    seed_everything(11)
    a = _draws(sampler)[:3]
    seed_everything(11)
    assert _draws(sampler)[:3] == a
    seed_everything(12)
    assert _draws(sampler)[:3] != a
