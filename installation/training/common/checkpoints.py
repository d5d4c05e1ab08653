"""Checkpoint files shared by every trainer: atomic writes, checked reads, resuming a run folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from installation.errors import TrainingError

CHECKPOINT_NAME = "checkpoint.pt"


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
            f"(it writes runs/{command.split()[-1]}/{CHECKPOINT_NAME}), or pass the right path."
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


@dataclass(frozen=True)
class CheckpointKind:
    """One model's checkpoints: the ``kind`` tag they carry, the model's name for people
    ("lava lamp") and the command that trains it ("installation train lava")."""

    kind: str
    what: str
    command: str

    def load(self, path: Path) -> dict[str, Any]:
        """The checkpoint at ``path``; TrainingError if it is missing, unreadable or not ours."""
        return load_checkpoint(path, self.kind, self.what, self.command)

    def previous_state(self, run_dir: Path, resume: bool) -> dict[str, Any] | None:
        """The run folder's checkpoint when resuming (None if it has none yet); TrainingError
        when a checkpoint is there and ``resume`` was not asked for."""
        path = Path(run_dir) / CHECKPOINT_NAME
        if not path.is_file():
            return None
        if resume:
            return self.load(path)
        raise TrainingError(
            f"{path} already exists. Pass --resume to continue that run, "
            "or --out with a new folder to start another."
        )

    def unfinished(self, checkpoint: Path, progress: str) -> TrainingError:
        """The error for exporting a run that has not finished (``progress``: where it stopped)."""
        return TrainingError(
            f"{checkpoint} is from an unfinished run ({progress}). "
            f"Finish it with `{self.command} --resume --out RUN_FOLDER` first."
        )
