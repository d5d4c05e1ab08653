"""`installation rainbow` and a headless stage run that reveals rainbows on its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from tests.conftest import ShowWriter
from tests.onnx_factory import make_generator
from tests.test_cli import assert_user_error, run_cli


@pytest.fixture(scope="module")
def generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_generator(tmp_path_factory.mktemp("gen") / "rainbow.onnx", size=48)


def test_rainbow_command_and_exact_re_render(generator: Path, tmp_path: Path) -> None:
    first = tmp_path / "one.png"
    result = run_cli(
        "rainbow", "--model", str(generator), "--seed", "3", "--truncation", "0.6", "-o", str(first)
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(first.with_suffix(".json").read_text())
    assert record["seed"] == 3 and record["truncation"] == pytest.approx(0.6)
    assert len(record["z"]) == 512

    again = tmp_path / "again.png"
    result = run_cli(
        "rainbow",
        "--model",
        str(generator),
        "--from",
        str(first.with_suffix(".json")),
        "-o",
        str(again),
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(
        np.asarray(PILImage.open(first)), np.asarray(PILImage.open(again))
    )

    other = tmp_path / "other.png"
    run_cli("rainbow", "--model", str(generator), "--seed", "4", "-o", str(other))
    assert not np.array_equal(np.asarray(PILImage.open(first)), np.asarray(PILImage.open(other)))


def test_rainbow_command_bad_input(generator: Path, tmp_path: Path) -> None:
    result = run_cli(
        "rainbow", "--model", str(generator), "--truncation", "3", "-o", str(tmp_path / "x.png")
    )
    assert_user_error(result, "--truncation must be between 0 and 1")
    result = run_cli(
        "rainbow", "--model", str(tmp_path / "none.onnx"), "-o", str(tmp_path / "x.png")
    )
    assert_user_error(result, "none.onnx", "does not exist")
    bad = tmp_path / "bad.json"
    bad.write_text('{"z": [1, 2]}')
    result = run_cli(
        "rainbow", "--model", str(generator), "--from", str(bad), "-o", str(tmp_path / "x.png")
    )
    assert_user_error(result, "bad.json", "not a gallery record")


STAGE = """
[show]
fps = 30
[gallery]
folder = "gallery"
[models.rainbow]
path = "{path}"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "rainbow"
auto_reveal_seconds = 0.6
hold_seconds = 0.2
reveal_seconds = 0.2
"""


def test_headless_stage_run_reveals_saves_and_times(
    generator: Path, write_show: ShowWriter, tmp_path: Path
) -> None:
    show = write_show(STAGE.replace("{path}", generator.as_posix()))
    stats_path = tmp_path / "s.json"
    result = run_cli("run", str(show), "--headless", "--seconds", "3", "--stats", str(stats_path))
    assert result.returncode == 0, result.stderr
    stats = json.loads(stats_path.read_text())
    revealed = stats["counters"]["images_revealed"]
    assert revealed >= 3
    timing = stats["timings_ms"]["trigger_to_frame"]
    assert timing["count"] == revealed
    assert timing["p50"] > 0
    saved = sorted((show.parent / "gallery").glob("*.png"))
    assert len(saved) == revealed
    assert all(p.with_suffix(".json").exists() for p in saved)
