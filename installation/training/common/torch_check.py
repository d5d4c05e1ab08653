"""The one check that PyTorch is installed, for the train/export commands (torch is optional)."""

from __future__ import annotations

from installation.errors import TrainingError


def require_torch(what: str) -> None:
    """Raise a TrainingError that says how to install torch when it is missing."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise TrainingError(
            f"Training and exporting {what} need PyTorch, which is in the `train` extra: "
            "pip install -e '.[train]' (tested with torch==2.13.0; the CPU build is enough)."
        ) from exc
