"""Gaze end to end, with a video file standing in for the webcam: calibrate (follow mode,
headless), evaluate the recording, run a show steered and triggered by the gaze, and run on
when the camera goes away. The video is synthetic (tests/synthetic_gaze.py): a real
photograph whose eyes look where the calibration's dot is."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from installation.app import RunOptions, run_show
from installation.cli import main
from installation.inputs.gaze.calibration_plan import CalibrationPlan
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.synthetic_gaze import Appearance, ScreenGeometry, SyntheticCamera, write_video

GEOMETRY = ScreenGeometry(320, 180, 53.1, 29.9, 65.0)
PLAN = {"settle_frames": 3, "sample_frames": 6, "glide_frames": 12}
FPS = 60.0
SHOW = """
[show]
name = "Gaze test"
crossfade_seconds = 0.2
[display]
render_size = [320, 180]
[gallery]
folder = "gallery"
[osc]
enabled = false
[controls.gaze]
point = ["rainbow"]
dwell_seconds = 1.0
dwell_radius = 0.1
dwell_action = "trigger:rainbow"
[camera]
enabled = true
source = "{video}"
retry_seconds = 0.5
[gaze]
calibration = "calibration/show.gaze.onnx"
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "rainbow"
model = "gen"
hold_seconds = 30
"""


def follow_frames(camera: SyntheticCamera, extra: int = 20) -> list[np.ndarray]:
    """Frames of a visitor following the calibration's dot (a few frames behind it)."""
    plan = CalibrationPlan("follow", **PLAN)  # type: ignore[arg-type]
    rng = np.random.default_rng(7)
    pose = camera.nominal_pose()
    look = Appearance(brightness=1.1, side_light=0.15, noise=2.0)
    frames = []
    for frame in range(plan.follow_frames() + extra):
        step = plan.step(max(0, frame - plan.lag))
        frames.append(camera.render(step.shown, pose, look, rng))
    return frames


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gaze_videos")
    camera = SyntheticCamera(GEOMETRY)
    follow = folder / "follow.avi"
    write_video(follow, follow_frames(camera), fps=FPS)
    rng = np.random.default_rng(3)
    pose, look = camera.nominal_pose(), Appearance()
    dwell = folder / "dwell.avi"  # 3 s looking at one spot, then the video (camera) ends
    write_video(dwell, [camera.render((0.8, 0.3), pose, look, rng) for _ in range(90)], 30.0)
    return {"follow": follow, "dwell": dwell, "folder": folder}


def files_under(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def calibrated(
    videos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gaze_show")
    show = folder / "show.toml"
    text = SHOW.replace("{video}", videos["dwell"].as_posix())
    show.write_text(text.replace("{models}", model_dir.as_posix()), encoding="utf-8")
    before = files_under(folder)
    figures = folder / "figures.json"
    args = ["calibrate", str(show), "--camera", str(videos["follow"]), "--mode", "follow"]
    args += ["--headless", "--json", str(figures)]
    args += [f"--{key.replace('_', '-')}={value}" for key, value in PLAN.items()]
    assert main(args) == 0
    return {"show": show, "figures": figures, "folder": folder, "before": before}  # type: ignore[dict-item]


def test_calibration_saves_only_the_fitted_model(calibrated: dict[str, Path]) -> None:
    folder = calibrated["folder"]
    new = files_under(folder) - calibrated["before"]  # type: ignore[operator]
    assert new == {Path("calibration/show.gaze.onnx"), Path("figures.json")}
    figures = json.loads(calibrated["figures"].read_text())
    # Synthetic eyes, a still head: the held-out check dots are met within a few degrees.
    assert figures["validate"]["targets"] == 5
    assert figures["validate"]["mean_degrees"] < 3.0
    config = load_show(calibrated["show"])
    assert config.gaze.calibration == folder / "calibration" / "show.gaze.onnx"


def test_a_recorded_calibration_is_measured_by_gaze_eval(
    calibrated: dict[str, Path], videos: dict[str, Path], tmp_path: Path
) -> None:
    recording = tmp_path / "recording"
    output = tmp_path / "second.gaze.onnx"
    args = ["calibrate", str(calibrated["show"]), "--camera", str(videos["follow"])]
    args += ["--mode", "follow", "--headless", "--record", str(recording), "--keep-samples"]
    args += ["--output", str(output)]
    args += [f"--{key.replace('_', '-')}={value}" for key, value in PLAN.items()]
    assert main(args) == 0
    assert files_under(recording) == {Path("recording.json"), Path("camera.avi")}
    samples = np.load(output.with_suffix(".samples.npz"))
    assert set(samples.files) == {"features", "points", "targets", "roles"}
    assert samples["features"].ndim == 2  # feature vectors, not pictures
    document = json.loads((recording / "recording.json").read_text())
    assert document["format"] == "installation.gaze-recording/1"
    roles = {entry["role"] for entry in document["frames"]}
    assert roles == {None, "calibrate", "validate"}
    result = tmp_path / "eval.json"
    assert (
        main(["gaze", "eval", str(recording), "--model", str(output), "--json", str(result)]) == 0
    )
    figures = json.loads(result.read_text())
    assert figures["frames_with_face"] == figures["frames"] == len(document["frames"])
    assert figures["validate"]["mean_degrees"] < 3.0
    assert figures["validate"]["p95_degrees"] >= figures["validate"]["mean_degrees"]
    refit = tmp_path / "refit.json"
    assert main(["gaze", "eval", str(recording), "--refit", "--json", str(refit)]) == 0
    assert json.loads(refit.read_text())["validate"]["mean_degrees"] < 3.0


def test_gaze_steers_and_a_dwell_reveals_a_rainbow_and_the_show_outlives_the_video(
    calibrated: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    config = load_show(calibrated["show"])
    with caplog.at_level(logging.INFO):
        stats = run_show(config, RunOptions(headless=True, seconds=6.0)).as_dict()
    counters = stats["counters"]
    assert counters["gaze_frames"] >= 60 and counters["gaze_points"] >= 30
    assert counters.get("events_refused", 0) == 0  # every PointAt reached the rainbow
    assert counters["images_revealed"] >= 1  # the held look at (0.8, 0.3) revealed one
    assert counters["camera_lost"] >= 1  # the video ended: the camera stopped ...
    assert stats["frames"] >= 150  # ... and the show went on
    assert stats["timings_ms"]["camera_to_gaze"]["count"] >= 60
    lost = [r.getMessage() for r in caplog.records if "stopped giving frames" in r.getMessage()]
    assert lost and len(lost) <= 3  # one line per loss, not one per retry


def test_a_show_without_its_camera_runs_on(write_show: ShowWriter) -> None:
    show = write_show(SHOW.replace('"{video}"', "57"))
    stats = run_show(load_show(show), RunOptions(headless=True, seconds=1.5)).as_dict()
    assert stats["counters"]["camera_lost"] == 1
    assert stats["counters"].get("gaze_frames", 0) == 0
    assert stats["frames"] >= 30
    off = run_show(load_show(show), RunOptions(headless=True, seconds=0.5, camera=False))
    assert "camera_lost" not in off.as_dict()["counters"]


def test_calibration_with_no_frames_says_so_and_saves_nothing(
    write_show: ShowWriter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    show = write_show(SHOW.replace('"{video}"', '"missing.avi"'))
    code = main(["calibrate", str(show), "--mode", "follow", "--headless", "--wait-seconds", "1"])
    assert code == 2
    error = capsys.readouterr().err
    assert "gave no frame" in error and "nothing was saved" in error
    assert not (tmp_path / "calibration").exists()
