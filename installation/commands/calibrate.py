"""``installation calibrate [SHOW]``: fit the show's gaze model from a fullscreen sequence of dots.

The visitor looks at each dot and clicks (``--mode click``, pynput's mouse listener; Space or
Enter also count) or follows a slowly moving dot with the eyes (``--mode follow``, for kiosks
without a mouse). Several camera frames are taken per dot. Held-out validation dots, never
fitted on, give the error in pixels and degrees; the regressor (ridge, linear or quadratic,
chosen by held-out error) is exported as the show's ``gaze`` ONNX model.

Privacy: camera frames stay in memory. Only the fitted model is saved, unless the operator
passes ``--keep-samples`` (the feature vectors, as .npz) or ``--record DIR`` (the camera video
and the dots, for ``installation gaze eval``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.canvas import Canvas, Colour
from installation.commands.gaze_fitting import Calibration, Samples, fit, save
from installation.config.schema import ControlsSection, ShowConfig
from installation.errors import InputError
from installation.events import Event, EventQueue, GazeSeen, QuitRequested, Trigger
from installation.inputs.controls import ControlMap
from installation.inputs.gaze.calibration_plan import CalibrationPlan, Mode, PlanStep
from installation.inputs.gaze.camera import CameraFrame, CameraThread, open_capture
from installation.inputs.gaze.recording import RecordingWriter, Screen
from installation.inputs.gaze.source import GazeEstimator, seen_event
from installation.inputs.mouse_clicks import ClickCounter
from installation.inputs.window import WindowInput
from installation.loop.clock import RealClock
from installation.loop.gaze_panel import draw_camera
from installation.outputs.display import PygameDisplay

log = logging.getLogger(__name__)
BACKGROUND: Colour = (24, 26, 30)
DOT: Colour = (255, 210, 64)
RING: Colour = (255, 255, 255)
TEXT: Colour = (230, 230, 230)
GOOD: Colour = (120, 255, 140)
BAD: Colour = (255, 92, 64)
FIRST_FRAME_SECONDS = 15.0


@dataclass(frozen=True)
class CalibrateOptions:
    mode: Mode = "click"
    headless: bool = False
    windowed: bool = False
    record: Path | None = None
    keep_samples: bool = False
    result_seconds: float = 8.0
    output: Path | None = None
    """Where the model goes (default: the show's ``[gaze] calibration``)."""
    settle_frames: int = 15
    """Camera frames at each dot before samples are taken (the eyes arrive and settle)."""
    sample_frames: int = 20
    """Camera frames sampled per dot."""
    glide_frames: int = 45
    """Camera frames the dot takes from one place to the next (``follow``)."""
    wait_seconds: float = FIRST_FRAME_SECONDS
    """How long to wait for the camera's first frame."""


def screen_of(config: ShowConfig, size: tuple[int, int]) -> Screen:
    gaze = config.gaze
    return Screen(
        size[0], size[1], gaze.screen_width_cm, gaze.screen_height_cm, gaze.viewing_distance_cm
    )


class _Sampler:
    """The calibration's camera worker: steps the plan per camera frame and keeps samples."""

    def __init__(
        self,
        camera: CameraThread,
        plan: CalibrationPlan,
        clicks: ClickCounter,
        recorder: RecordingWriter | None,
    ) -> None:
        self.camera = camera
        self.plan = plan
        self.clicks = clicks
        self.recorder = recorder
        self.estimator = GazeEstimator()
        self.samples = Samples()
        self.step: PlanStep | None = None
        self.seen: GazeSeen | None = None
        self.first_frame = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._first: CameraFrame | None = None
        self._thread = threading.Thread(target=self._run, name="calibration", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.done.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        sequence = 0
        try:
            while not self.done.is_set():
                sequence, frame = self.camera.wait_newest(sequence, timeout=0.25)
                if frame is not None:
                    self._frame(frame)
        except BaseException as exc:  # reported on the main thread
            self.error = exc
            self.done.set()

    def _frame(self, frame: CameraFrame) -> None:
        first = self._first
        if first is None:
            self._first = first = frame  # the sequence starts with this camera frame
            self.first_frame.set()
        elif frame.connection != first.connection:
            raise InputError(
                f"{self.camera.describe} was lost during the calibration (unplugged, or the "
                "video ended before the sequence did); calibrate again; nothing was saved"
            )
        step = self.plan.step(frame.index - first.index, self.clicks.count)
        if step.done:
            self.step = step
            self.done.set()
            return
        estimate = self.estimator.estimate(frame.image)
        observation = estimate.observation
        if step.sample is not None and step.role is not None and estimate.features is not None:
            self.samples.add(estimate.features, step.sample, step.target, step.role)
        if self.recorder is not None:
            self.recorder.add(frame.image, step.sample, step.role)
        state = "calibrating" if observation is not None else "no_face"
        self.seen = seen_event(state, estimate, frame.image)
        self.step = step


def calibrate(config: ShowConfig, options: CalibrateOptions) -> Calibration:
    """Run the sequence, fit, save; returns the calibration (``InputError`` when it fails)."""
    camera_settings = config.camera
    camera = CameraThread(
        lambda: open_capture(camera_settings),
        camera_settings.describe,
        loop=False,
        retry_seconds=camera_settings.retry_seconds,
        retry_max_seconds=camera_settings.retry_max_seconds,
    )
    display = PygameDisplay(
        config.display.render_size,
        headless=options.headless,
        fullscreen=config.display.fullscreen and not options.windowed,
        display_index=config.display.display,
        vsync=config.display.vsync,
        window_size=config.display.window_size,
        hide_cursor=False,
        title=f"{config.show.name}: gaze calibration",
    )
    plan = CalibrationPlan(
        options.mode,
        settle_frames=options.settle_frames,
        sample_frames=options.sample_frames,
        glide_frames=options.glide_frames,
    )
    clicks = ClickCounter()
    screen: Screen | None = None
    recorder: RecordingWriter | None = None
    camera.start()
    sampler: _Sampler | None = None
    try:
        display.open()
        screen = screen_of(config, display.output_size)
        if options.record is not None:
            recorder = RecordingWriter(options.record, camera_settings.fps, screen)
        sampler = _Sampler(camera, plan, clicks, recorder)
        if options.mode == "click":
            problem = clicks.start()
            if problem is not None:
                log.warning("clicks are not heard (%s): press Space or Enter instead", problem)
        sampler.start()
        _show(display, sampler, options, clicks)
    finally:
        if sampler is not None:
            sampler.stop()
        clicks.stop()
        camera.stop()
        if recorder is not None:
            written = recorder.close()
            if written is not None:
                log.info("recording (camera frames and dots) written to %s", written.parent)
    if sampler.error is not None:
        raise sampler.error
    assert screen is not None
    calibration = fit(sampler.samples, screen)
    path = options.output or config.gaze.calibration
    assert path is not None
    save(calibration, path, config.show.name, screen)
    log.info("gaze model saved to %s", path)
    if options.keep_samples:
        kept = path.with_suffix(".samples.npz")
        np.savez_compressed(
            kept,
            features=np.stack(sampler.samples.features),
            points=np.array(sampler.samples.points),
            targets=np.array(sampler.samples.targets),
            roles=np.array(sampler.samples.roles),
        )
        log.info("feature samples kept in %s (--keep-samples; no camera frames)", kept)
    if not options.headless:
        _result(display, calibration, options.result_seconds)
    display.close()
    return calibration


def _show(
    display: PygameDisplay, sampler: _Sampler, options: CalibrateOptions, clicks: ClickCounter
) -> None:
    """The fullscreen sequence on the main thread until the plan is done (Escape aborts)."""
    clock = RealClock()
    frame_time = 1.0 / 30.0
    deadline = clock.now() + options.wait_seconds
    next_frame = clock.now()
    with _window_keys() as keys:
        while not sampler.done.is_set():
            now = clock.now()
            for event in keys(now):
                if isinstance(event, QuitRequested):
                    raise InputError("calibration stopped before the end; nothing was saved")
                if isinstance(event, Trigger):
                    clicks.add()
            if not sampler.first_frame.is_set() and now > deadline:
                raise InputError(
                    f"{sampler.camera.describe} gave no frame in {options.wait_seconds:g} s: "
                    "check it with `installation doctor` (is it plugged in, or used by another "
                    "program?); nothing was saved"
                )
            _draw(display, sampler, options.mode)
            display.present()
            next_frame += frame_time
            clock.sleep_until(max(next_frame, clock.now()))


@contextmanager
def _window_keys() -> Iterator[Callable[[float], list[Event]]]:
    """The window's keys with the default controls (Escape quits, Space/Enter trigger), as a
    function that polls them; for the calibration's own frame loops."""
    events = EventQueue()
    window = WindowInput(ControlMap(ControlsSection()))
    window.start(events.post)

    def poll(now: float) -> list[Event]:
        window.poll(now)
        return events.drain()

    try:
        yield poll
    finally:
        window.stop()


def _draw(canvas: Canvas, sampler: _Sampler, mode: Mode) -> None:
    width, height = canvas.size
    canvas.clear(BACKGROUND)
    step = sampler.step
    small = max(12, round(height / 36))
    if step is None:
        canvas.draw_text(
            f"waiting for {sampler.camera.describe} ...",
            (width / 2, height / 2),
            TEXT,
            size=small,
            anchor="center",
        )
        return
    x, y = step.shown[0] * width, step.shown[1] * height
    radius = height / 40
    if step.waiting_for_click:
        canvas.draw_circle((x, y), radius * 2.2, RING, alpha=0.6, width=max(2, round(radius / 6)))
    elif step.sample is not None:
        canvas.draw_circle((x, y), radius * 1.6, RING, alpha=0.35, width=max(2, round(radius / 6)))
    canvas.draw_circle((x, y), radius, DOT)
    canvas.draw_circle((x, y), radius / 4, BACKGROUND)
    role = "check" if step.role == "validate" else "dot"
    hint = (
        "look at the dot and click it (or press Space)"
        if mode == "click"
        else "follow the dot with your eyes"
    )
    total = sampler.plan.target_count
    text = f"{role} {min(step.target + 1, total)} of {total}: {hint}; Esc stops"
    canvas.draw_text(text, (width / 2, height - small), TEXT, size=small, anchor="bottom")
    canvas.draw_rect((0, height - 4, width * step.progress, 4), DOT)
    # The camera's view sits in the corner opposite the dot, so it never hides a dot.
    box_w, box_h = width * 0.16, width * 0.16 * 0.86
    left = 8 if step.shown[0] > 0.5 else width - box_w - 8
    top = 8 if step.shown[1] > 0.5 else height - box_h - 2 * small - 8
    draw_camera(canvas, sampler.seen, (left, top, box_w, box_h))


def _result(display: PygameDisplay, calibration: Calibration, seconds: float) -> None:
    """The validation error on screen for a few seconds (any key closes it)."""
    clock = RealClock()
    end = clock.now() + seconds
    report = calibration.validation
    colour = GOOD if report.mean_degrees <= 4.0 else BAD
    with _window_keys() as keys:
        while clock.now() < end:
            if keys(clock.now()):
                break
            width, height = display.size
            display.clear(BACKGROUND)
            big, small = round(height / 14), round(height / 30)
            display.draw_text(
                f"{report.mean_degrees:.1f}° mean error",
                (width / 2, height * 0.42),
                colour,
                size=big,
                anchor="center",
            )
            display.draw_text(
                report.line(), (width / 2, height * 0.56), TEXT, size=small, anchor="center"
            )
            display.present()
            clock.sleep_until(clock.now() + 1 / 30)
