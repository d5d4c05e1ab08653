"""Gaze: the camera, the eyes, the calibrated regressor and the filter, as one input source.

Two threads: the camera's (``camera.py``: newest frame only, retries a lost camera) and this
source's, which takes the newest frame, finds face and eyes (``eyes.py``), computes the
features (``gaze_features.py``), runs the show's gaze model (ONNX, CPU: a few microseconds),
smooths the point (One Euro) and posts events: ``GazeSeen`` for the operator overlay, and what
``[controls.gaze]`` makes of the point (``gaze_coupling.py``). Nothing else: it never calls
scenes, and camera frames never leave memory.

States: ``no_camera`` (posted at start, so the overlay says so from the first frame, and
again when the camera is lost); ``no_face`` (nobody for ``lost_seconds``); ``uncalibrated``
(eyes are seen but the show has no gaze model yet: ``installation calibrate``); ``tracking``
with a confidence from how much of the face and eyes was found.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from installation.config.gaze_schema import CameraSection, GazeSection
from installation.config.schema import GazeControls
from installation.errors import InputError, ModelError
from installation.events import DeviceChanged, Event, GazeSeen, GazeState
from installation.inputs.base import InputSource, Post
from installation.inputs.gaze.camera import (
    BgrImage,
    CameraFrame,
    CameraThread,
    Opener,
    open_capture,
)
from installation.inputs.gaze.coupling import GazeCoupling
from installation.inputs.gaze.eyes import Box, EyeObservation, EyeTracker
from installation.inputs.gaze.features import FEATURES, FeatureVector, gaze_features
from installation.inputs.gaze.filter import PointFilter
from installation.models.base import Model
from installation.models.onnx_runtime import load_model

log = logging.getLogger(__name__)
THUMBNAIL_WIDTH = 160
Count = Callable[[str, int], None]
Timing = Callable[[str, float], None]


class GazeModel:
    """A loaded ``gaze`` model: feature vector in, screen point out (checked against
    the feature layout it was fitted on)."""

    def __init__(self, model: Model) -> None:
        fitted_on = model.spec.metadata.get("features", "")
        if fitted_on != FEATURES:
            raise ModelError(
                f"Gaze model {model.spec.path} was fitted on features {fitted_on!r}, this "
                f"version computes {FEATURES!r}: calibrate again (`installation calibrate`)."
            )
        self.model = model

    def predict(self, features: FeatureVector) -> tuple[float, float]:
        point = self.model.run({"features": features[None, :]})["point"][0]
        return float(point[0]), float(point[1])


def load_gaze_model(path: Path) -> GazeModel | None:
    """The show's gaze model, or None when it has not been calibrated yet (``ModelError``
    for a file that is there but broken or fitted on other features)."""
    if not path.is_file():
        return None
    return GazeModel(load_model("gaze", path, "gaze", ("cpu",), threads=1))


@dataclass(frozen=True, eq=False)
class GazeEstimate:
    """One frame's result before smoothing: what was seen, and the raw point if calibrated."""

    observation: EyeObservation | None
    features: FeatureVector | None
    point: tuple[float, float] | None
    confidence: float


class GazeEstimator:
    """Frame -> face and eyes -> features -> point: the per-frame work, shared by the show,
    calibration and ``installation gaze eval``."""

    def __init__(self, model: GazeModel | None = None) -> None:
        self.tracker = EyeTracker()
        self.model = model

    def estimate(self, image: BgrImage) -> GazeEstimate:
        observation = self.tracker.observe(image)
        if observation is None:
            return GazeEstimate(None, None, None, 0.0)
        features = gaze_features(observation)
        confidence = _confidence(observation)
        point = self.model.predict(features) if self.model is not None else None
        return GazeEstimate(observation, features, point, confidence)


def _confidence(observation: EyeObservation) -> float:
    """1.0 for a good-sized face with both eyes found in this frame; less for less."""
    eyes = (0.45, 0.75, 1.0)[observation.found]
    size = min(1.0, observation.face[2] / 90.0)
    return round(eyes * size, 3)


def _share(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return x / width, y / height, w / width, h / height


def seen_event(
    state: GazeState,
    estimate: GazeEstimate,
    image: BgrImage,
    point: tuple[float, float] | None = None,
    latency_ms: float = 0.0,
) -> GazeSeen:
    """The operator's view of one frame: boxes as shares of the frame, a thumbnail."""
    height, width = image.shape[:2]
    observation = estimate.observation
    face: tuple[float, float, float, float] | None = None
    eyes: tuple[tuple[float, float, float, float], ...] = ()
    if observation is not None:
        face = _share(observation.face, width, height)
        eyes = tuple(_share(eye, width, height) for eye in observation.eyes)
    return GazeSeen(state, estimate.confidence, point, face, eyes, thumbnail(image), latency_ms)


def thumbnail(image: BgrImage) -> NDArray[np.uint8]:
    """A small RGB copy of a camera frame for the operator overlay (memory only)."""
    height, width = image.shape[:2]
    size = (THUMBNAIL_WIDTH, max(1, round(height * THUMBNAIL_WIDTH / width)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, :, ::-1])


class GazeInput(InputSource):
    """The camera-and-gaze input source (see module docstring)."""

    name = "camera gaze"

    def __init__(
        self,
        camera: CameraSection,
        gaze: GazeSection,
        controls: GazeControls,
        *,
        count: Count | None = None,
        timing: Timing | None = None,
        opener: Opener | None = None,
    ) -> None:
        self.camera_settings = camera
        self.settings = gaze
        self._opener = opener or (lambda: open_capture(camera))
        self._count = count or (lambda name, amount: None)
        self._timing = timing or (lambda name, ms: None)
        aspect = gaze.screen_width_cm / gaze.screen_height_cm
        self.coupling = GazeCoupling(controls, aspect)
        self._filter = PointFilter(gaze.min_cutoff_hz, gaze.beta)
        self._camera: CameraThread | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._post: Post = lambda event: None
        self._paused = False
        self.estimator: GazeEstimator | None = None
        self.state: GazeState = "no_camera"
        self._last_face = -1e9

    def check(self) -> str | None:
        try:
            self.estimator = GazeEstimator(self._model())
        except (InputError, ModelError) as exc:
            return str(exc)
        return None

    def _model(self) -> GazeModel | None:
        path = self.settings.calibration
        model = load_gaze_model(path) if path is not None else None
        if model is None:
            log.warning(
                "no gaze calibration at %s: the overlay shows the eyes, but gaze steers "
                "nothing until `installation calibrate` has run for this show",
                path,
            )
        return model

    def start(self, post: Post) -> None:
        if self.estimator is None:
            problem = self.check()
            if problem is not None:
                raise InputError(problem)
        self._post = post
        self._stop.clear()
        # Until the camera delivers there is no camera: the operator's panel says so from the
        # show's first frame (later states are posted as they change, and with each frame).
        self._set_state("no_camera")
        post(GazeSeen("no_camera"))
        self._paused = False
        self._start_threads()

    def _start_threads(self) -> None:
        self._stop = threading.Event()  # each run its own: a paused run's threads end alone
        self._camera = CameraThread(
            self._opener,
            self.camera_settings.describe,
            loop=self.camera_settings.loop,
            retry_seconds=self.camera_settings.retry_seconds,
            retry_max_seconds=self.camera_settings.retry_max_seconds,
            on_status=self._camera_status,
        )
        self._camera.start()
        self._thread = threading.Thread(
            target=self._run, args=(self._camera, self._stop), name="gaze", daemon=True
        )
        self._thread.start()

    def pause(self) -> None:
        """Closed hours: the camera is released (its threads end on their own, unwaited)."""
        if self._paused or self._camera is None:
            return
        self._paused = True
        self._stop.set()
        self._camera.stop(wait=False)
        log.info("gaze: paused, the camera is released until the show opens")

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            log.info("gaze: the show opened, the camera is taken again")
            self._start_threads()

    def stop(self) -> None:
        self._stop.set()
        if self._camera is not None:
            self._camera.stop()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def _camera_status(self, connected: bool, what: str) -> None:
        self._count("camera_connected" if connected else "camera_lost", 1)
        self._post(DeviceChanged("camera", what, connected))

    # the gaze thread -----------------------------------------------------------------------

    def _run(self, camera: CameraThread, stop: threading.Event) -> None:
        estimator = self.estimator
        assert estimator is not None
        sequence = 0
        while not stop.is_set():
            sequence, frame = camera.wait_newest(sequence, timeout=0.25)
            now = time.perf_counter()
            if frame is None:
                if not camera.connected and self.state != "no_camera":
                    self._set_state("no_camera")
                    self._post(GazeSeen("no_camera"))
                continue
            try:
                events = self._process(frame, estimator, now)
            except Exception:  # one bad frame must not end gaze for the rest of the show
                log.exception("gaze failed on a camera frame; the next one is tried")
                self._count("gaze_errors", 1)
                continue
            for event in events:
                self._post(event)

    def _process(self, frame: CameraFrame, estimator: GazeEstimator, now: float) -> list[Event]:
        estimate = estimator.estimate(frame.image)
        self._count("gaze_frames", 1)
        events: list[Event] = []
        point: tuple[float, float] | None = None
        observation = estimate.observation
        if observation is not None:
            self._last_face = now
        if observation is None:
            if now - self._last_face >= self.settings.lost_seconds:
                self._set_state("no_face")
            self._count("gaze_no_face_frames", 1)
        elif estimate.point is None:
            self._set_state("uncalibrated")
        else:
            self._set_state("tracking")
            if estimate.confidence >= self.settings.min_confidence:
                point = self._filter(*estimate.point, now)
                events += self.coupling.update(*point, now)
                self._count("gaze_points", 1)
        latency = (time.perf_counter() - frame.captured_at) * 1000.0
        self._timing("camera_to_gaze", latency)
        seen = seen_event(self.state, estimate, frame.image, point, latency)
        return [*events, seen]

    def _set_state(self, state: GazeState) -> None:
        if state == self.state:
            return
        log.info("gaze: %s", state.replace("_", " "))
        if state != "tracking":
            self._filter.reset()
            self.coupling.lost()
        self.state = state
