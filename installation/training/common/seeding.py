"""Seeds and random-number state shared by every trainer and measure.

torch is imported inside the functions: the measures (numpy and onnxruntime only) read
``HELD_OUT_SEED`` from here and must work without the ``train`` extra.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

HELD_OUT_SEED = 1_000_000
"""Data generators' seeds from here on are never trained on: the measures' held-out data."""


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def rng_state(sampler: torch.Generator) -> dict[str, Any]:
    """Every generator's state (torch, the trainer's ``sampler``, numpy, Python), to save."""
    import torch

    return {
        "torch": torch.get_rng_state(),
        "sampler": sampler.get_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def restore_rng_state(state: dict[str, Any], sampler: torch.Generator) -> None:
    """Put back what ``rng_state`` saved, so a resumed run continues bit for bit."""
    import torch

    torch.set_rng_state(state["torch"])
    sampler.set_state(state["sampler"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
