from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from installation.errors import TrainingError  # noqa: E402
from installation.training.common.checkpoints import save_checkpoint  # noqa: E402
from installation.training.lava.train import load_checkpoint as load_lava  # noqa: E402
from installation.training.rainbow.train import load_checkpoint as load_rainbow  # noqa: E402


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
