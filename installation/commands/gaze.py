"""The gaze commands: ``installation calibrate [SHOW]`` and ``installation gaze eval RECORDING``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from installation.commands.common import SubParsers, add_camera_option
from installation.errors import InputError

log = logging.getLogger(__name__)
DEFAULT_GALLERY_SHOW = Path("show_configs/gallery.toml")


def _frames(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{text} is not a number of frames from 1 to 1000")
    return value


def register(sub: SubParsers) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="fit this show's gaze model: look at dots on the screen (webcam needed)",
        description="A fullscreen sequence of dots; camera frames stay in memory and only "
        "the fitted model is saved (unless --record or --keep-samples).",
    )
    calibrate.add_argument(
        "show", nargs="?", type=Path, default=DEFAULT_GALLERY_SHOW, help="show file (TOML)"
    )
    calibrate.add_argument(
        "--mode",
        choices=("click", "follow"),
        default="click",
        help="click: look at each dot and click (or press Space); follow: follow a slowly "
        "moving dot with the eyes (kiosks without a mouse)",
    )
    add_camera_option(calibrate)
    calibrate.add_argument("--windowed", action="store_true", help="a window, not fullscreen")
    calibrate.add_argument("--headless", action="store_true", help="no window (tests)")
    calibrate.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="also write the camera video and the dots shown to DIR (for `gaze eval`)",
    )
    calibrate.add_argument(
        "--keep-samples",
        action="store_true",
        help="also keep the feature samples (.npz beside the model; no camera frames)",
    )
    calibrate.add_argument("--output", type=Path, metavar="PATH", help="where the model goes")
    calibrate.add_argument(
        "--settle-frames", type=_frames, default=15, metavar="N",
        help="camera frames at each dot before sampling: the eyes arrive (15)",
    )  # fmt: skip
    calibrate.add_argument(
        "--sample-frames", type=_frames, default=20, metavar="N",
        help="camera frames sampled at each dot (20)",
    )  # fmt: skip
    calibrate.add_argument(
        "--glide-frames", type=_frames, default=45, metavar="N",
        help="follow mode: camera frames the dot takes from one place to the next (45)",
    )  # fmt: skip
    calibrate.add_argument(
        "--wait-seconds",
        type=float,
        default=15.0,
        metavar="S",
        help="how long to wait for the camera's first frame (15)",
    )
    calibrate.add_argument("--json", type=Path, metavar="PATH", help="write the figures here")
    calibrate.set_defaults(handler=run_calibrate)

    gaze = sub.add_parser("gaze", help="measure gaze tracking on a recording")
    verbs = gaze.add_subparsers(dest="verb", metavar="VERB", required=True)
    evaluation = verbs.add_parser(
        "eval",
        help="error in degrees (mean, 95th percentile) of a gaze model on a recording",
        description="RECORDING is a folder written by `installation calibrate --record DIR`.",
    )
    evaluation.add_argument("recording", type=Path, help="recording folder")
    evaluation.add_argument(
        "show",
        nargs="?",
        type=Path,
        default=DEFAULT_GALLERY_SHOW,
        help="show whose gaze model is measured",
    )
    evaluation.add_argument("--model", type=Path, metavar="PATH", help="a gaze model file")
    evaluation.add_argument(
        "--refit",
        action="store_true",
        help="fit on the recording's calibration frames, measure on its validation frames",
    )
    evaluation.add_argument("--json", type=Path, metavar="PATH", help="write the figures here")
    evaluation.set_defaults(handler=run_eval)


def run_calibrate(args: argparse.Namespace) -> int:
    from installation.app import with_camera
    from installation.commands.calibrate import CalibrateOptions, calibrate
    from installation.scenes.registry import load_show

    config = with_camera(load_show(args.show), args.camera)
    options = CalibrateOptions(
        mode=args.mode,
        headless=args.headless,
        windowed=args.windowed,
        record=args.record,
        keep_samples=args.keep_samples,
        output=args.output,
        settle_frames=args.settle_frames,
        sample_frames=args.sample_frames,
        glide_frames=args.glide_frames,
        wait_seconds=args.wait_seconds,
        result_seconds=0.0 if args.headless else 8.0,
    )
    result = calibrate(config, options)
    report = result.validation
    regressor = result.choice.regressor
    print(f"calibration: {result.calibration_frames} frames at {result.calibration_targets} dots")
    print(f"model: {regressor.expansion} ridge, alpha {regressor.alpha:g}")
    print(f"validation: {report.line()}")
    if args.json is not None:
        figures = {
            "validate": report.as_dict(),
            "model": f"{regressor.expansion} alpha={regressor.alpha:g}",
            "candidates": {k: round(v, 5) for k, v in result.choice.errors.items()},
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from installation.commands.gaze_fitting import evaluate_recording
    from installation.inputs.gaze.recording import read_recording

    recording = read_recording(args.recording)
    model = args.model
    if model is None and not args.refit:
        from installation.scenes.registry import load_show

        model = load_show(args.show).gaze.calibration
    result = evaluate_recording(recording, model, args.refit, ("calibrate", "validate"))
    face = result["frames_with_face"]
    print(f"{recording.folder}: face in {face} of {result['frames']} frames")
    print(f"model: {result['model']}")
    measured = False
    for role in ("calibrate", "validate"):
        figures = result.get(role)
        if figures is None:
            continue
        measured = True
        print(
            f"{role}: {figures['mean_degrees']:.2f}° mean, {figures['p95_degrees']:.2f}° p95 "
            f"({figures['mean_pixels']:.0f} / {figures['p95_pixels']:.0f} px, "
            f"{figures['frames']} frames)"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not measured:
        raise InputError(f"{recording.folder} has no frame with a target and a face in view")
    return 0
