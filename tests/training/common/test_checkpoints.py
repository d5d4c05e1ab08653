"""Checkpoint files: atomic writes, checked reads, resuming a run folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from installation.errors import TrainingError
from installation.training.common.checkpoints import (
    CHECKPOINT_NAME,
    CheckpointKind,
    save_checkpoint,
)
from installation.training.lava.train import load_checkpoint as load_lava
from installation.training.rainbow.stylegan.train import load_checkpoint as load_rainbow


def test_missing_corrupt_and_wrong_kind_checkpoints_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match=r"No checkpoint at .*installation train lava"):
        load_lava(tmp_path / "none.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match=r"Cannot read checkpoint .*rainbow checkpoint\?"):
        load_rainbow(corrupt)
    lava = tmp_path / "lava.pt"
    save_checkpoint(lava, {"kind": "lava_lamp", "modules": {}})
    assert load_lava(lava)["kind"] == "lava_lamp"
    assert not lava.with_suffix(".tmp").exists()
    with pytest.raises(TrainingError, match=r"not a rainbow checkpoint"):
        load_rainbow(lava)


def test_a_run_folder_resumes_only_when_asked(tmp_path: Path) -> None:
    kind = CheckpointKind("lava_lamp", "lava lamp", "installation train lava")
    assert kind.previous_state(tmp_path, resume=True) is None  # nothing to resume yet
    assert kind.previous_state(tmp_path, resume=False) is None
    save_checkpoint(tmp_path / CHECKPOINT_NAME, {"kind": "lava_lamp", "modules": {}, "n": 3})
    state = kind.previous_state(tmp_path, resume=True)
    assert state is not None and state["n"] == 3
    with pytest.raises(TrainingError, match=r"already exists\. Pass --resume"):
        kind.previous_state(tmp_path, resume=False)


def test_unfinished_run_error_says_how_to_finish() -> None:
    kind = CheckpointKind("rainbow", "rainbow", "installation train rainbow")
    error = kind.unfinished(Path("runs/x/checkpoint.pt"), "iteration 5")
    assert str(error) == (
        "runs/x/checkpoint.pt is from an unfinished run (iteration 5). Finish it with "
        "`installation train rainbow --resume --out RUN_FOLDER` first."
    )
