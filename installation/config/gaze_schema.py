"""``[camera]`` and ``[gaze]``: the webcam, and how a visitor's gaze is tracked and calibrated.

The camera is a device index, a video file or a stream URL. Gaze is computed from it on its own
threads (``installation/inputs/gaze.py``); what the gaze point steers is in ``[controls.gaze]``
(``ControlsSection`` in ``schema.py``). Camera frames never leave memory: nothing here names a
place to write them (``installation calibrate --record`` is the one, explicit, exception).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from installation.config.paths import Table as _Table


class CameraSection(_Table):
    """``[camera]``: the webcam (or a video file or stream standing in for it)."""

    enabled: bool = Field(
        False, description="true: the show reads the camera and tracks gaze (or `run --camera`)"
    )
    source: int | str = Field(
        0,
        description="device index (0 = the first webcam), a video file (relative to the show "
        "file) or a stream URL; or `run --camera SOURCE`",
    )
    width: int = Field(640, ge=64, le=4096, description="asked of a device; files keep theirs")
    height: int = Field(480, ge=48, le=4096, description="asked of a device; files keep theirs")
    fps: float = Field(
        30.0, gt=0.0, le=240.0, description="asked of a device; a file plays at its own rate"
    )
    loop: bool = Field(False, description="a video file starts over at its end")
    retry_seconds: float = Field(
        1.0, gt=0.0, le=600.0, description="first wait before opening a lost camera again"
    )
    retry_max_seconds: float = Field(
        30.0, gt=0.0, le=3600.0, description="the wait doubles up to this"
    )

    @property
    def describe(self) -> str:
        """The source in words, for logs (``camera 0``, ``video visitor.avi``)."""
        if isinstance(self.source, int):
            return f"camera {self.source}"
        if "://" in self.source:
            return f"stream {self.source}"
        return f"video {Path(self.source).name}"

    def resolved(self, base: Path) -> CameraSection:
        """A video file's path relative to the show file; device indices and URLs as they are."""
        source = self.source
        if isinstance(source, str) and "://" not in source:
            source = str((base / Path(source).expanduser()).resolve())
        return self.model_copy(update={"source": source})

    @model_validator(mode="after")
    def _retry_order(self) -> CameraSection:
        if self.retry_max_seconds < self.retry_seconds:
            raise ValueError("retry_max_seconds must be at least retry_seconds")
        return self


class GazeSection(_Table):
    """``[gaze]``: eye tracking from the camera, its calibration, the screen and the smoothing.

    ``screen_width_cm``, ``screen_height_cm`` and ``viewing_distance_cm`` turn pixel errors
    into degrees of visual angle (what calibration reports).
    """

    enabled: bool = Field(True, description="false: the camera is not used for gaze")
    calibration: Path | None = Field(
        None,
        description="the fitted gaze model (ONNX); unset = ../calibration/<show file>.gaze.onnx",
    )
    detector: Literal["haar"] = Field(
        "haar", description="face and eye detector: OpenCV's Haar cascades"
    )
    screen_width_cm: float = Field(53.1, gt=1.0, le=2000.0, description="visible picture width")
    screen_height_cm: float = Field(29.9, gt=1.0, le=2000.0, description="visible picture height")
    viewing_distance_cm: float = Field(
        65.0, gt=5.0, le=2000.0, description="eyes to screen (calibration reports degrees)"
    )
    min_cutoff_hz: float = Field(
        0.6, gt=0.0, le=30.0, description="One Euro filter: lower = a steadier still gaze"
    )
    beta: float = Field(
        4.0,
        ge=0.0,
        le=1000.0,
        description="One Euro filter: higher = a moving gaze is followed sooner",
    )
    lost_seconds: float = Field(
        0.6,
        ge=0.0,
        le=60.0,
        description="no face this long: the state becomes no_face (nobody looking)",
    )
    min_confidence: float = Field(
        0.35, ge=0.0, le=1.0, description="gaze points below this confidence steer nothing"
    )

    def resolved(self, base: Path, show_stem: str) -> GazeSection:
        """The calibration file relative to the show file (default: a per-show file)."""
        path = self.calibration or Path("../calibration") / f"{show_stem}.gaze.onnx"
        return self.model_copy(update={"calibration": (base / path.expanduser()).resolve()})
