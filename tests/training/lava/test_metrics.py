"""The lava lamp's measures: the building blocks on known inputs, and a whole report."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from installation.cli import main
from installation.training.lava.metrics import (
    closest_frame_return,
    closest_return,
    thumbnails,
    window_means,
)
from tests.onnx_factory import make_lava_lamp


def test_closest_return_sees_returns_inside_the_lag_window_only() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400, 8)).astype(np.float32) * 10.0
    z[300] = z[240] + 0.01  # a return 60 steps later: inside 50-5,000
    z[120] = z[100]  # a return 20 steps later: too soon to count
    assert closest_return(z) == pytest.approx(0.01 * np.sqrt(8), rel=1e-3)
    assert closest_return(z, min_lag=61) > 1.0


def test_window_means_and_thumbnails() -> None:
    assert window_means(np.arange(6.0), 3).tolist() == [1.0, 2.0, 3.0, 4.0]
    frames = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    frames[1, :4, :4] = 255
    thumbs = thumbnails(frames, factor=4)
    assert thumbs.shape == (2, 12)
    assert thumbs[0].max() == 0.0
    assert thumbs[1, :3].tolist() == [255.0, 255.0, 255.0]
    # Thumbnails 1 apart differ by the RMS of the two frames' difference.
    assert closest_frame_return(thumbs, 1, 1) == pytest.approx(255.0 / 2.0)


def test_a_whole_report_on_a_small_lava_model(tmp_path: Path) -> None:
    model = make_lava_lamp(tmp_path / "lamp.onnx", step_seconds=0.1)
    out = tmp_path / "report.json"
    small = ["--seeds", "2", "--steps", "300", "--frames", "40", "--footage-clips", "2"]
    argv = [str(model), "--out", str(out), *small, "--spacing", "5", "--figures", str(tmp_path)]
    code = main(["measure", "lava", *argv])
    strip = imageio.imread(tmp_path / "lava_rollout.png")
    assert strip.shape == (2 * 64 * 2, 10 * 64 * 2, 3)
    report = json.loads(out.read_text())
    assert code in (0, 1)  # 1 when a limit fails: this test model is a plain rotation
    assert code == (0 if all(report["passes"].values()) else 1)
    assert report["all_finite"] and not report["diverges"]
    assert report["max_window_std_dev"] < 1e-3
    assert report["latent_size"] == 16 and report["swd_frames"] == 40
    assert report["swd_ratio"] > 0 and report["closest_return"] > 0
    assert report["footage_frame_closest_return"] >= 0


def test_a_missing_model_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["measure", "lava", str(tmp_path / "nope.onnx")]) == 2
    assert "installation export lava" in capsys.readouterr().err
