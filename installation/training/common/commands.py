"""What each model folder's ``commands`` module hands the command line (``train``, ``export``
and ``measure``, each a configure + run pair), and what a finished training prints."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Command:
    """One subcommand: ``configure`` adds its options, ``run`` runs it (the exit code)."""

    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class ModelCommands:
    """A model's subcommands: ``installation train|export|measure NAME``."""

    name: str
    help: str
    train: Command
    export: Command
    measure: Command

    def by_verb(self) -> dict[str, Command]:
        """The commands under the top-level verb that runs each."""
        return {"train": self.train, "export": self.export, "measure": self.measure}


def report_trained(checkpoint: Path, samples: str, out: Path, model: str) -> None:
    """Say where a finished training left its checkpoint and ``samples``, and how to export."""
    print(f"checkpoint: {checkpoint}")
    print(f"{samples}: {out}")
    print(f"export with: installation export {model} {checkpoint}")
