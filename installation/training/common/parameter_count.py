"""Model sizes for the run summaries (torch)."""

from __future__ import annotations

from torch import nn


def parameter_count(*modules: nn.Module) -> int:
    """Number of parameters across ``modules``."""
    return sum(p.numel() for m in modules for p in m.parameters())
