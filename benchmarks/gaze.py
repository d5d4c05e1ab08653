"""Gaze tracking measured (issue 14): speed, detection on a real photograph, accuracy on
synthetic eyes, and the gallery show without a camera or with one that disappears.

``speed``: the per-frame work (face and eye detection, features, the ONNX regressor) on
640x480 synthetic camera frames, on this machine's 2 cores: median and p95 ms; and camera
frame to updated gaze point through the real ``GazeInput`` fed by a video file
(``timings_ms.camera_to_gaze``).

``detection``: ``skimage.data.astronaut()`` (a real photograph inside scikit-image's wheel),
moved, scaled and relit across the frames of a generated video: the share of frames in which
the face and both eyes are found by the cascades in that frame.

``accuracy``: synthetic recordings (``tests/synthetic_gaze.py``: the photograph's eyes replaced
by a parametric eye model looking at known screen points, with head movement, skin tone and
lighting varied) run through ``installation gaze eval --refit``: fitted on the recording's
calibration targets, measured on its held-out validation targets, in degrees. Synthetic: it
says what the pipeline can resolve, not what a real webcam in a real room gives.

``show``: ``installation run show_configs/gallery.toml --headless`` with no camera (a device
index that does not exist), and with a video file that plays, ends and is deleted mid-run
(the camera disappears), each ``--seconds`` long: on_time_ratio.

    python benchmarks/gaze.py speed --json benchmarks/results/gaze_speed.json
    python benchmarks/gaze.py detection --frames 600 --json benchmarks/results/gaze_detection.json
    python benchmarks/gaze.py accuracy --repeat 3 --json benchmarks/results/gaze_accuracy.json
    python benchmarks/gaze.py show --seconds 60 --repeat 2 --json benchmarks/results/gaze_show.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from headless_run import ROOT, run_headless, steal_seconds

sys.path.insert(0, str(ROOT))

from installation.commands.gaze_fitting import fit, recording_samples
from installation.inputs.gaze.eyes import EyeTracker
from installation.inputs.gaze.recording import read_recording
from installation.inputs.gaze.source import GazeEstimator, GazeModel, load_gaze_model
from tests.synthetic_gaze import (
    Appearance,
    ScreenGeometry,
    SyntheticCamera,
    moved_photo_frames,
    write_recording,
    write_video,
)

GEOMETRY = ScreenGeometry(1920, 1080, 53.1, 29.9, 65.0)


def plan_targets() -> list[tuple[float, float, str]]:
    from installation.inputs.gaze.calibration_plan import CALIBRATION_TARGETS, VALIDATION_TARGETS

    return [(x, y, "calibrate") for x, y in CALIBRATION_TARGETS] + [
        (x, y, "validate") for x, y in VALIDATION_TARGETS
    ]


def synthetic_recording(
    folder: Path, seed: int, head_motion: float = 1.0, appearance: Appearance | None = None
) -> Path:
    camera = SyntheticCamera(GEOMETRY)
    return write_recording(
        folder, camera, plan_targets(), frames_per_target=30, settle_frames=10, seed=seed,
        head_motion=head_motion, appearance=appearance,
    )  # fmt: skip


def fitted_model(folder: Path, seed: int, appearance: Appearance | None = None) -> GazeModel:
    """A gaze model fitted on a synthetic calibration recording (of ``appearance``: the
    visitor and the room, else one drawn from ``seed``)."""
    from installation.commands.gaze_fitting import save

    recording = read_recording(synthetic_recording(folder / "fit", seed, appearance=appearance))
    samples, _, _ = recording_samples(recording, GazeEstimator(), progress=False)
    calibration = fit(samples, recording.screen)
    path = folder / "model.gaze.onnx"
    save(calibration, path, "benchmark", recording.screen)
    model = load_gaze_model(path)
    assert model is not None
    return model


def speed(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = fitted_model(folder, seed=11)
        camera = SyntheticCamera(GEOMETRY)
        rng = np.random.default_rng(5)
        pose, look = camera.nominal_pose(), camera.random_appearance(rng)
        frames = [
            camera.render((float(rng.uniform()), float(rng.uniform())), pose, look, rng)
            for _ in range(args.frames)
        ]
        runs = []
        for _ in range(args.repeat):
            estimator = GazeEstimator(model)
            times = []
            for frame in frames:
                started = time.perf_counter()
                estimate = estimator.estimate(frame)
                times.append((time.perf_counter() - started) * 1000.0)
                assert estimate.point is not None
            times = times[5:]  # the first frames search the whole frame
            runs.append(
                {"median_ms": statistics.median(times), "p95_ms": float(np.percentile(times, 95))}
            )
        cold = GazeEstimator(model)
        cold_times = []
        for frame in frames[:40]:
            cold.tracker.reset()  # every frame a full-frame search (no face to track)
            started = time.perf_counter()
            cold.estimate(frame)
            cold_times.append((time.perf_counter() - started) * 1000.0)
        latency = _camera_to_gaze(folder, frames, model)
    return {
        "frames": args.frames,
        "runs": runs,
        "median_ms": statistics.median(r["median_ms"] for r in runs),
        "full_frame_search_median_ms": statistics.median(cold_times),
        "camera_to_gaze_ms": latency,
    }


def _camera_to_gaze(folder: Path, frames: list[np.ndarray], model: GazeModel) -> dict[str, Any]:
    """The real source: a video file through the camera thread to the posted gaze point."""
    from installation.config.gaze_schema import CameraSection, GazeSection
    from installation.config.schema import GazeControls
    from installation.inputs.gaze.source import GazeInput
    from installation.loop.stats import RunStats

    video = folder / "camera.avi"
    write_video(video, frames * 3, fps=30.0)
    stats = RunStats(30)
    source = GazeInput(
        CameraSection(enabled=True, source=str(video)),
        GazeSection(calibration=model.model.spec.path),
        GazeControls(),
        count=stats.count,
        timing=stats.time,
    )
    posted: list[object] = []
    assert source.check() is None
    source.start(posted.append)
    time.sleep(len(frames) * 3 / 30 + 1.0)
    source.stop()
    figures = stats.as_dict()
    timing: dict[str, Any] = figures["timings_ms"].get("camera_to_gaze", {})
    return timing | {"points": figures["counters"].get("gaze_points", 0)}


def detection(args: argparse.Namespace) -> dict[str, Any]:
    tracker = EyeTracker()
    found_face = both_eyes = 0
    for frame in moved_photo_frames(args.frames, seed=args.seed):
        observation = tracker.observe(frame)
        if observation is not None:
            found_face += 1
            both_eyes += observation.found == 2
    return {
        "frames": args.frames,
        "face_ratio": round(found_face / args.frames, 4),
        "both_eyes_found_ratio": round(both_eyes / args.frames, 4),
    }


def accuracy(args: argparse.Namespace) -> dict[str, Any]:
    """Per synthetic visitor (skin, iris, room light drawn from a seed): a calibration session
    and a second session later (the head elsewhere, the light wavering). Fitted on the first
    session's calibration targets; measured on its held-out check targets and on every target
    of the second session. Beside it, WebGazer's model on the same frames: ridge on the two
    equalised 10x6 patches only (lambda 1e-5)."""
    from installation.commands.gaze_fitting import COMPACT, USED, errors
    from installation.models.gaze_regressor import choose_regressor, fit_ridge

    runs = []
    camera = SyntheticCamera(GEOMETRY)
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.repeat):
            look = camera.random_appearance(np.random.default_rng(100 + index))
            sessions = []
            for session in range(2):
                folder = Path(scratch) / f"visitor{index}" / f"session{session}"
                path = write_recording(
                    folder, camera, plan_targets(), frames_per_target=30, settle_frames=10,
                    seed=1000 * index + session, appearance=look,
                )  # fmt: skip
                recording = read_recording(path.parent)
                samples, _, faces = recording_samples(recording, GazeEstimator(), progress=False)
                sessions.append((recording, samples, faces))
            (first, calibration, faces), (second, later, later_faces) = sessions
            features, points, targets = calibration.part("calibrate")
            choice = choose_regressor(features, points, targets, COMPACT, 53.1 / 29.9, USED)
            baseline = fit_ridge(features[:, :120], points, 1e-5)
            held_f, held_p, _ = calibration.part("validate")
            later_f = np.stack(later.features)
            later_p = np.array(later.points)
            figures: dict[str, Any] = {
                "visitor": {"iris": look.iris, "brightness": round(look.brightness, 2),
                            "gamma": round(look.gamma, 2), "side_light": round(look.side_light, 2),
                            "skin_gain": [round(g, 2) for g in look.skin_gain]},
                "model": f"{choice.regressor.expansion} alpha={choice.regressor.alpha:g}",
                "face_ratio": [round(faces / len(first.frames), 4),
                               round(later_faces / len(second.frames), 4)],
                "held_out_targets": errors(choice.regressor.predict(held_f), held_p, 5,
                                           first.screen).as_dict(),
                "second_session": errors(choice.regressor.predict(later_f), later_p, 18,
                                         second.screen).as_dict(),
                "webgazer_style_held_out": errors(baseline.predict(held_f[:, :120]), held_p, 5,
                                                  first.screen).as_dict(),
                "webgazer_style_second_session": errors(
                    baseline.predict(later_f[:, :120]), later_p, 18, second.screen
                ).as_dict(),
            }  # fmt: skip
            runs.append(figures)
            print(json.dumps({k: v for k, v in figures.items() if k != "visitor"}), flush=True)

    def median(key: str, figure: str = "mean_degrees") -> float:
        return round(float(statistics.median(r[key][figure] for r in runs)), 3)

    return {
        "method": "synthetic eyes on a real photograph (tests/synthetic_gaze.py)",
        "runs": runs,
        "median_mean_degrees": {
            key: median(key)
            for key in (
                "held_out_targets",
                "second_session",
                "webgazer_style_held_out",
                "webgazer_style_second_session",
            )
        },
        "median_p95_degrees": {
            key: median(key, "p95_degrees") for key in ("held_out_targets", "second_session")
        },
    }


def _gallery_copy(folder: Path, source: str) -> Path:
    text = (ROOT / "show_configs" / "gallery.toml").read_text(encoding="utf-8")
    text = text.replace('"../exported_models/', f'"{(ROOT / "exported_models").as_posix()}/')
    text = text.replace('folder = "../gallery"', f'folder = "{(folder / "gallery").as_posix()}"')
    text = text.replace("source = 0 ", f"source = {source} ")
    text = text.replace("retry_seconds = 2.0", "retry_seconds = 1.0")
    text = text.replace("[osc]\nenabled = true", "[osc]\nenabled = false")
    show = folder / "gallery.toml"
    show.write_text(text, encoding="utf-8")
    return show


def show(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {"no_camera": [], "camera_disappears": []}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = fitted_model(folder, seed=21)
        camera = SyntheticCamera(GEOMETRY)
        rng = np.random.default_rng(9)
        pose = camera.nominal_pose()
        look = camera.random_appearance(rng)
        seconds = args.seconds / 2  # the video ends half-way through the run
        frames = [
            camera.render((0.5 + 0.4 * np.sin(i / 40), 0.5 + 0.3 * np.cos(i / 55)), pose, look, rng)
            for i in range(int(seconds * 30))
        ]
        for repeat in range(args.repeat):
            show_file = _gallery_copy(folder, "9")
            stats = run_headless(show_file, args.seconds, folder / f"none{repeat}.json")
            results["no_camera"].append(_figures(stats))
            video = folder / f"visitor{repeat}.avi"
            write_video(video, frames, fps=30.0)
            show_file = _gallery_copy(folder, f'"{video.as_posix()}"')
            calibration = f'calibration = "{model.model.spec.path.as_posix()}"'
            text = show_file.read_text(encoding="utf-8").replace(
                '# calibration = "../calibration/gallery.gaze.onnx"   # the default: per show file',
                calibration,
            )
            show_file.write_text(text, encoding="utf-8")
            # The video plays to its end (the stream stops); then the file is deleted, so
            # every reopening fails: the camera is gone for the rest of the run.
            remover = threading.Timer(seconds + 0.5, video.unlink)
            remover.start()
            stats = run_headless(show_file, args.seconds, folder / f"gone{repeat}.json")
            remover.cancel()
            results["camera_disappears"].append(_figures(stats))
    return results | {
        "median_on_time": {
            name: statistics.median(r["on_time_ratio"] for r in runs)
            for name, runs in results.items()
        }
    }


def _figures(stats: dict[str, Any]) -> dict[str, Any]:
    counters = stats["counters"]
    keys = ("gaze_frames", "gaze_points", "camera_lost", "camera_connected", "images_revealed")
    return {
        "on_time_ratio": stats["on_time_ratio"],
        "late_frames": stats["late_frames"],
        "frames": stats["frames"],
        "steal_ms": stats["steal_ms"],
        "counters": {key: counters.get(key, 0) for key in keys},
        "camera_to_gaze_ms": stats["timings_ms"].get("camera_to_gaze", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("speed", "detection", "accuracy", "show"):
        command = sub.add_parser(name)
        command.add_argument("--json", type=Path)
        command.add_argument("--repeat", type=int, default=3)
        command.add_argument("--frames", type=int, default=300)
        command.add_argument("--seconds", type=float, default=60.0)
        command.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYNPUT_BACKEND", "dummy")
    stolen = steal_seconds()
    result = {"speed": speed, "detection": detection, "accuracy": accuracy, "show": show}[
        args.what
    ](args)
    result["steal_s"] = round(steal_seconds() - stolen, 2)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
