"""``installation measure lava|rainbow MODEL.onnx`` end to end, in a subprocess without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.onnx_factory import make_generator, make_lava_lamp

USER_ERROR = 2
# Runs the command line with torch made unimportable, as where the `train` extra is missing.
WITHOUT_TORCH = (
    "import sys; sys.modules['torch'] = None; "
    "from installation.cli import main; sys.exit(main(sys.argv[1:]))"
)


def measure(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "measure", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == USER_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_lava_measure_runs_without_torch(tmp_path: Path) -> None:
    model = make_lava_lamp(tmp_path / "lamp.onnx", step_seconds=0.1)
    out = tmp_path / "report.json"
    counts = ["--seeds", "1", "--steps", "200", "--frames", "20", "--footage-clips", "2"]
    result = measure("lava", str(model), "--out", str(out), *counts, "--spacing", "5")
    report = json.loads(out.read_text())
    assert result.returncode == (0 if all(report["passes"].values()) else 1), result.stderr
    assert "Traceback" not in result.stderr
    assert report["model"] == str(model) and report["steps_per_seed"] == 200
    assert "lava lamp measures for" in result.stdout and "never diverges" in result.stdout


def test_rainbow_measure_runs_without_torch(tmp_path: Path) -> None:
    model = make_generator(tmp_path / "gen.onnx", size=32)
    out = tmp_path / "report.json"
    counts = ["--colour-samples", "8", "--truncation-samples", "4", "--walks", "1"]
    counts += ["--walk-steps", "6", "--real-images", "8"]
    result = measure("rainbow", str(model), "--out", str(out), *counts)
    report = json.loads(out.read_text())
    assert result.returncode == (0 if all(report["passes"].values()) else 1), result.stderr
    assert "Traceback" not in result.stderr
    assert report["resolution"] == 32 and report["colour_samples"] == 8
    assert "rainbow generator measures for" in result.stdout


@pytest.mark.parametrize("model", ["lava", "rainbow"])
def test_a_missing_model_is_one_clear_message(tmp_path: Path, model: str) -> None:
    result = measure(model, str(tmp_path / "nope.onnx"))
    assert_user_error(result, "No model at", f"installation export {model} CHECKPOINT")


def test_a_file_that_is_not_onnx_is_one_clear_message(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.onnx"
    bogus.write_bytes(b"not a model")
    assert_user_error(measure("lava", str(bogus)), "onnxruntime cannot load", str(bogus))


def test_a_model_of_the_other_kind_is_refused(tmp_path: Path) -> None:
    lamp = make_lava_lamp(tmp_path / "lamp.onnx")
    result = measure("rainbow", str(lamp))
    assert_user_error(result, "is a 'lava_lamp' model", "measures 'generator' models")


def test_counts_below_one_are_usage_errors(tmp_path: Path) -> None:
    result = measure("lava", str(tmp_path / "lamp.onnx"), "--seeds", "0")
    assert_user_error(result, "--seeds: must be at least 1")
