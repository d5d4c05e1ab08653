"""Gaze samples -> a fitted, saved gaze model, and errors in pixels and degrees.

Shared by ``installation calibrate`` (samples from the live camera) and ``installation gaze
eval`` (samples from a recording). Errors are reported per camera frame: the mean and the
95th percentile, in screen pixels and in degrees of visual angle (from the screen's size and
the viewing distance in ``[gaze]``).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from installation.errors import InputError
from installation.inputs.gaze.calibration_plan import degrees_between
from installation.inputs.gaze.features import FEATURES, IRIS_SLICE, FeatureVector
from installation.inputs.gaze.recording import Recording, Screen
from installation.inputs.gaze.source import GazeEstimator, GazeModel, load_gaze_model
from installation.models.gaze_regressor import Choice, choose_regressor, gaze_onnx
from installation.outputs.atomic_file import atomic_write

MIN_TARGETS = 6
"""Fewer calibration targets with a face in view than this cannot fit a gaze model."""
COMPACT = tuple(range(IRIS_SLICE.start, IRIS_SLICE.stop))
"""The features whose products the quadratic form adds: the iris centres only. Products with
the head's position were tried and lost: they fit a calibration well and extrapolate badly
when the visitor stands elsewhere later (4.8° against 1.5° on a second synthetic session)."""
USED = tuple(range(IRIS_SLICE.stop))
"""The features the regressor uses: both eye patches and both iris centres. The head's
position and size are computed (and shown) but not fitted on: in a calibration the head moves
little and slowly, together with the dots, so ridge learns the dots' order from it. Measured
on 3 synthetic visitors: with the head terms 2.0° / 2.6° (held-out dots / a second session),
without them 1.7° / 2.0°. The eye regions are anchored to the face, so a moved head moves
the patches with it rather than shifting the iris inside them."""


@dataclass
class Samples:
    """Feature vectors with the screen point looked at, the target and its role."""

    features: list[FeatureVector] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    def add(
        self, features: FeatureVector, point: tuple[float, float], target: int, role: str
    ) -> None:
        self.features.append(features)
        self.points.append(point)
        self.targets.append(target)
        self.roles.append(role)

    def part(self, role: str) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[Any]]:
        chosen = [i for i, r in enumerate(self.roles) if r == role]
        if not chosen:
            return np.zeros((0, 0), np.float32), np.zeros((0, 2)), np.zeros(0, np.int64)
        features = np.stack([self.features[i] for i in chosen])
        points = np.array([self.points[i] for i in chosen], np.float64)
        return features, points, np.array([self.targets[i] for i in chosen])

    def target_count(self, role: str) -> int:
        return len({t for t, r in zip(self.targets, self.roles, strict=True) if r == role})


@dataclass(frozen=True)
class ErrorReport:
    """Gaze errors over ``frames`` samples: mean and 95th percentile, degrees and pixels."""

    frames: int
    targets: int
    mean_degrees: float
    p95_degrees: float
    mean_pixels: float
    p95_pixels: float

    def line(self) -> str:
        return (
            f"{self.mean_degrees:.2f}° mean, {self.p95_degrees:.2f}° at the 95th percentile "
            f"({self.mean_pixels:.0f} / {self.p95_pixels:.0f} px) over {self.frames} frames "
            f"at {self.targets} targets"
        )

    def as_dict(self) -> dict[str, float | int]:
        return {key: round(value, 4) for key, value in self.__dict__.items()}


def errors(
    predicted: NDArray[np.floating], truth: NDArray[np.floating], targets: int, screen: Screen
) -> ErrorReport:
    """Per-frame errors between predicted and true screen points."""
    degrees = np.array(
        [
            degrees_between(
                (float(p[0]), float(p[1])),
                (float(t[0]), float(t[1])),
                screen.width_cm,
                screen.height_cm,
                screen.distance_cm,
            )
            for p, t in zip(predicted, truth, strict=True)
        ]
    )
    scale = np.array([screen.width_px, screen.height_px], np.float64)
    pixels = np.hypot(*((np.asarray(predicted) - np.asarray(truth)) * scale).T)
    if len(degrees) == 0:
        raise InputError("no frame with a face in view to measure the error on")
    return ErrorReport(
        len(degrees),
        targets,
        float(degrees.mean()),
        float(np.percentile(degrees, 95)),
        float(pixels.mean()),
        float(np.percentile(pixels, 95)),
    )


@dataclass(frozen=True)
class Calibration:
    """A fitted gaze model and how well it does on targets it was not fitted on."""

    choice: Choice
    validation: ErrorReport
    calibration_frames: int
    calibration_targets: int


def fit(samples: Samples, screen: Screen) -> Calibration:
    """Fit on the calibration samples; measure on the validation samples."""
    count = samples.target_count("calibrate")
    if count < MIN_TARGETS or samples.target_count("validate") == 0:
        raise InputError(
            f"a face was in view at {count} calibration targets and "
            f"{samples.target_count('validate')} validation targets (at least {MIN_TARGETS} "
            "and 1 are needed): check that the camera sees the face (light, distance) and "
            "calibrate again; nothing was saved"
        )
    features, points, targets = samples.part("calibrate")
    aspect = screen.width_cm / screen.height_cm
    choice = choose_regressor(features, points, targets, COMPACT, aspect, USED)
    held_features, held_points, held_targets = samples.part("validate")
    predicted = choice.regressor.predict(held_features)
    report = errors(predicted, held_points, len(set(held_targets.tolist())), screen)
    return Calibration(choice, report, len(points), count)


def save(calibration: Calibration, path: Path, show: str, screen: Screen) -> None:
    """Export the fitted model as the show's ``gaze`` ONNX file, with what it was fitted on."""
    regressor = calibration.choice.regressor
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = calibration.validation
    metadata = {
        "installation.kind": "gaze",
        "installation.contract": "1",
        "installation.description": (
            f"Gaze regressor for {show!r}: {regressor.expansion} ridge (alpha "
            f"{regressor.alpha:g}) on {FEATURES} features"
        ),
        "installation.trained_on": (
            f"{calibration.calibration_frames} camera frames at "
            f"{calibration.calibration_targets} calibration targets, {when}, on "
            f"{platform.node() or 'this machine'}; no camera frame is kept"
        ),
        "installation.license": "the calibrated visitor's own; not for redistribution",
        "features": FEATURES,
        "validation_mean_degrees": f"{report.mean_degrees:.3f}",
        "validation_p95_degrees": f"{report.p95_degrees:.3f}",
        "screen": json.dumps(screen.__dict__),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, gaze_onnx(regressor, metadata))


def recording_samples(
    recording: Recording,
    estimator: GazeEstimator,
    progress: bool = True,
) -> tuple[Samples, list[tuple[float, float] | None], int]:
    """Run the estimator over every frame of a recording.

    Returns the samples (features at frames with a target), the model's point at each such
    frame (None without a face or a model), and how many frames had a face.
    """
    samples = Samples()
    predicted: list[tuple[float, float] | None] = []
    faces = 0
    target_ids: dict[tuple[float, float], int] = {}
    frames = tqdm(
        recording.images(),
        total=len(recording.frames),
        desc="frames",
        unit="frame",
        disable=not progress,
        leave=False,
    )
    for entry, image in frames:
        estimate = estimator.estimate(image)
        faces += estimate.observation is not None
        if entry.target is None or entry.role is None or estimate.features is None:
            continue
        target = target_ids.setdefault(entry.target, len(target_ids))
        samples.add(estimate.features, entry.target, target, entry.role)
        predicted.append(estimate.point)
    return samples, predicted, faces


def evaluate_recording(
    recording: Recording,
    model_path: Path | None,
    refit: bool,
    roles: Sequence[str] = ("validate",),
    progress: bool = True,
) -> dict[str, Any]:
    """The figures ``installation gaze eval`` prints: a saved model on the recording, or
    (``refit``) a model fitted on its calibration frames and measured on its validation ones."""
    model: GazeModel | None = None
    if not refit and (model_path is None or (model := load_gaze_model(model_path)) is None):
        raise InputError(
            f"no gaze model at {model_path}: calibrate the show first, or pass --refit "
            "to fit one on the recording's own calibration frames"
        )
    samples, predicted, faces = recording_samples(recording, GazeEstimator(model), progress)
    total = len(recording.frames)
    result: dict[str, Any] = {
        "recording": str(recording.folder),
        "frames": total,
        "frames_with_face": faces,
        "face_ratio": round(faces / total, 4) if total else 0.0,
    }
    if refit:
        calibration = fit(samples, recording.screen)
        result["model"] = f"refit: {calibration.choice.regressor.expansion} ridge"
        result["validate"] = calibration.validation.as_dict()
        result["candidates"] = {
            name: round(error, 5) for name, error in calibration.choice.errors.items()
        }
        return result
    result["model"] = str(model_path)
    for role in roles:
        chosen = [i for i, r in enumerate(samples.roles) if r == role]
        points = [predicted[i] for i in chosen]
        if not chosen or any(p is None for p in points):
            continue
        truth = np.array([samples.points[i] for i in chosen])
        targets = len({samples.targets[i] for i in chosen})
        result[role] = errors(np.array(points), truth, targets, recording.screen).as_dict()
    return result
