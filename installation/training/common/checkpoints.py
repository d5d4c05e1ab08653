"""Checkpoint files shared by every trainer: atomic writes and checked reads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from installation.errors import TrainingError


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically (temporary file, then rename)."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, kind: str, what: str, command: str) -> dict[str, Any]:
    """Load a checkpoint of ``kind``; TrainingError if it is missing, unreadable or another kind.

    ``what`` names the model for people ("lava lamp"), ``command`` is the one that trains it.
    """
    if not Path(path).is_file():
        raise TrainingError(
            f"No checkpoint at {path}. Train first with `{command}` "
            f"(it writes runs/{command.split()[-1]}/checkpoint.pt), or pass the right path."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for corrupt files
        raise TrainingError(
            f"Cannot read checkpoint {path}: {exc}. Is it a {what} checkpoint?"
        ) from exc
    if not isinstance(state, dict) or state.get("kind") != kind or "modules" not in state:
        raise TrainingError(f"{path} is not a {what} checkpoint (written by `{command}`).")
    return state
