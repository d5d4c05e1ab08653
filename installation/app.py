"""Builds a show from its config and runs it.

A live show is: models loaded and warmed up; the display; the output bus with its sinks
(stats, and what ``outputs/registry.py`` builds: gallery, OSC out, posting); the director with
its scenes (``scenes/registry.py``); the input sources (``inputs/registry.py``: keys and
gamepads, OSC, camera, hotkeys); the frame loop. Concrete scenes, inputs and outputs come from
their registries; this module names only the workers, the display and the loop. Shutdown runs
in reverse, and only there are worker threads joined.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from installation.canvas import Image
from installation.config.schema import ShowConfig
from installation.errors import ConfigError
from installation.events import Event, EventQueue, HoursChanged, QuitRequested
from installation.inputs.base import InputSource, start_sources, stop_sources
from installation.inputs.registry import InputKit, build_inputs, input_problems
from installation.loop.clock import Clock, RealClock
from installation.loop.overlay import StatsOverlay
from installation.loop.runner import FrameRunner
from installation.loop.service_watch import LastProblem, ServiceWatch
from installation.loop.stats import RunStats
from installation.loop.stats_sink import StatsSink
from installation.models.base import Model
from installation.models.catalog import load_models
from installation.models.request_worker import InlineRequests, ThreadedRequests
from installation.models.sequence_worker import InlineSequence, ThreadedSequence
from installation.outputs.base import OutputBus, OutputSink
from installation.outputs.display import PygameDisplay
from installation.outputs.instance_lock import DisplayLock
from installation.outputs.registry import OutputKit, build_outputs
from installation.outputs.systemd_notify import from_environment as systemd_notifier
from installation.scenes.director import Director
from installation.scenes.registry import SceneKit, build_scene

log = logging.getLogger(__name__)
R = TypeVar("R")
T = TypeVar("T")


class LiveWorkers:
    """Makes threaded workers for a live show and joins them at shutdown.

    Scenes stop workers without waiting (the frame loop never joins a thread); the ones that
    have ended are forgotten as new ones start, so the list stays as short as what runs.
    """

    def __init__(self) -> None:
        self._workers: list[ThreadedSequence[Any] | ThreadedRequests[Any, Any]] = []

    def sequence(self, produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
        worker = ThreadedSequence(produce, name)
        self._track(worker)
        return worker

    def requests(self, run: Callable[[R], T], name: str) -> ThreadedRequests[R, T]:
        worker = ThreadedRequests(run, name)
        self._track(worker)
        return worker

    def _track(self, worker: ThreadedSequence[Any] | ThreadedRequests[Any, Any]) -> None:
        self._workers = [w for w in self._workers if w.alive] + [worker]

    def __len__(self) -> int:
        return len(self._workers)

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker and wait for each (shutdown only)."""
        for worker in self._workers:
            worker.stop()
        for worker in self._workers:
            worker.join(timeout)
        self._workers = []


class InputsAtClosing(OutputSink):
    """Opening hours for the inputs: at closing each started source releases its device (the
    camera: ``InputSource.pause``), at opening it takes it back. Inputs never hear the
    output bus themselves; the app, which knows both, connects them here."""

    name = "inputs at closing"

    def __init__(self) -> None:
        self.sources: list[InputSource] = []

    def handle(self, event: Event) -> None:
        if isinstance(event, HoursChanged):
            for source in self.sources:
                source.resume() if event.open else source.pause()


def live_kit(emit: Callable[[Event], None], workers: LiveWorkers) -> SceneKit:
    """Workers on threads: the frame loop never waits for a model."""
    return SceneKit(workers.sequence, workers.requests, emit)


def offline_kit(emit: Callable[[Event], None]) -> SceneKit:
    """Everything computed inline: deterministic, for rendering and tests."""
    return SceneKit(
        lambda produce, name: InlineSequence(produce),
        lambda run, name: InlineRequests(run),
        emit,
    )


def build_director(config: ShowConfig, models: Mapping[str, Model], kit: SceneKit) -> Director:
    inbox: list[Event] = []  # what scenes post goes to the director, handled in the same frame
    kit = dataclasses.replace(kit, post=inbox.append)
    scenes = [build_scene(entry, models, kit) for entry in config.scenes]
    background = config.display.background
    return Director(scenes, config.show.crossfade_seconds, background, kit.emit, inbox)


@dataclass(frozen=True)
class RunOptions:
    """Command-line choices that override or complete the show config."""

    headless: bool = False
    windowed: bool = False
    display: int | None = None
    seconds: float | None = None
    osc_port: int | None = None
    """Overrides ``[osc] port`` (0 = any free port, logged)."""
    osc: bool = True
    """False: no OSC server and no OSC out, whatever the show says."""
    posting: bool = True
    """False: nothing is posted (the outbox is left as it is)."""
    dry_run: bool = False
    """Posts are rendered into the posting folder's ``dry-run`` and never sent."""
    camera: bool = True
    """False: no camera and no gaze, whatever the show says."""


def apply_options(config: ShowConfig, options: RunOptions) -> ShowConfig:
    """The show config with the command line's overrides applied (``--no-osc``, ``--osc-port``,
    ``--no-camera``, ``--no-posting``, ``--dry-run``), so that inputs and outputs read one
    config."""
    osc = config.osc.model_copy(
        update={
            "enabled": config.osc.enabled and options.osc,
            "port": config.osc.port if options.osc_port is None else options.osc_port,
        }
    )
    camera = config.camera.model_copy(update={"enabled": config.camera.enabled and options.camera})
    posting = config.posting.model_copy(
        update={
            "enabled": config.posting.enabled and options.posting,
            "dry_run": config.posting.dry_run or options.dry_run,
        }
    )
    return config.model_copy(update={"osc": osc, "camera": camera, "posting": posting})


def run_show(
    config: ShowConfig,
    options: RunOptions,
    clock: Clock | None = None,
    extra_sources: Sequence[InputSource] = (),
) -> RunStats:
    """Load models, open the display, run the frame loop; return the run's stats.

    ``extra_sources`` are started beside the show's own inputs (``inputs/registry.py``:
    the window's keys and gamepads, OSC, the camera, global hotkeys); tests and benchmarks
    add their own.
    """
    sys.setswitchinterval(0.001)  # model workers' Python bits must not hold the GIL for 5 ms
    config = apply_options(config, options)
    problems = input_problems(config)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"Show config {config.show.name!r} has unknown controls:\n{lines}")
    models = load_models(config.models, config.runtime)
    display_index = config.display.display if options.display is None else options.display
    lock = None if options.headless else DisplayLock(display_index)
    if lock is not None:
        lock.acquire()
    display = PygameDisplay(
        config.display.render_size,
        headless=options.headless,
        fullscreen=config.display.fullscreen and not options.windowed,
        display_index=display_index,
        vsync=config.display.vsync,
        window_size=config.display.window_size,
        hide_cursor=config.display.hide_cursor,
        title=config.show.name,
    )
    stats = RunStats(config.show.fps)
    stats.models = {name: model.stats for name, model in models.items()}
    providers = {name: model.provider for name, model in models.items()}
    clock = clock or RealClock()
    events = EventQueue()
    stats_sink = StatsSink(stats)
    bus = OutputBus([stats_sink], count=stats.count)
    workers = LiveWorkers()
    director = build_director(config, models, live_kit(bus.publish, workers))
    outputs = build_outputs(
        config,
        OutputKit(
            stats.count,
            providers,
            display.grab,
            lambda: director.current.name,
            dark=lambda: director.blackout_level > 0.0,
        ),
    )
    for sink in outputs.sinks:
        bus.add(sink)
    at_closing = InputsAtClosing()
    bus.add(at_closing)
    inputs = build_inputs(config, InputKit(director, stats.count, stats.time))
    overlay = StatsOverlay(config.show.fps, providers)
    sources: list[InputSource] = []
    stack = contextlib.ExitStack()
    try:
        display.open()
        overlay.warm_up(display)
        bus.start()
        sources = start_sources([*inputs, *extra_sources], events.post)
        at_closing.sources = sources
        director.start(clock.now())
        _wait_until_ready(director, clock)
        # What exists now lives as long as the show: keep it out of every later collection,
        # so a full collection during the show scans only what the show made since.
        gc.collect()
        gc.freeze()
        polled = [source for source in sources if source.polled]
        watch = stack.enter_context(service_watch(lambda: director.current.name, stats.count))
        runner = FrameRunner(
            display,
            director,
            events,
            clock,
            stats,
            polled,
            overlay,
            publish=bus.publish,
            presented=stats_sink.presented,
            heartbeat_seconds=config.osc.heartbeat_seconds,
            capture=outputs.capture,
            service=watch,
        )
        with quit_on_signals(events.post):
            runner.run(options.seconds)
        log.info("show stopped: %s", runner.quit_reason)
    finally:
        stack.close()
        gc.unfreeze()
        stop_sources(sources)
        director.stop()
        workers.close()
        display.close()
        bus.stop()
        if lock is not None:
            lock.release()
    return stats


def with_camera(config: ShowConfig, source: str | None) -> ShowConfig:
    """The show with its camera replaced by ``source`` (``--camera``): an index, file or URL."""
    if source is None:
        return config
    value: int | str = int(source) if source.isdigit() else source
    camera = config.camera.model_copy(update={"source": value, "enabled": True})
    return config.model_copy(update={"camera": camera.resolved(Path.cwd())})


@contextlib.contextmanager
def service_watch(
    scene: Callable[[], str], count: Callable[[str], None]
) -> Iterator[ServiceWatch | None]:
    """systemd's READY, watchdog and STATUS for the frame loop when the show runs as a
    ``Type=notify`` unit (``NOTIFY_SOCKET`` set); otherwise None, and nothing is done."""
    notifier = systemd_notifier(count)
    if notifier is None:
        yield None
        return
    problem = LastProblem()
    logger = logging.getLogger("installation")
    logger.addHandler(problem)
    try:
        yield ServiceWatch(notifier, scene, problem.describe)
    finally:
        logger.removeHandler(problem)
        notifier.close()


@contextlib.contextmanager
def quit_on_signals(post: Callable[[Event], None]) -> Iterator[None]:
    """While the show runs, SIGTERM (``systemctl stop``), SIGINT (Ctrl+C) and SIGHUP end it
    like the quit control: one event, handled on the next frame, then the usual shutdown.
    Only the main thread can install handlers; elsewhere (a test's thread) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGTERM, signal.SIGINT] + (
        [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
    )

    def handler(number: int, frame: object) -> None:
        post(QuitRequested(f"signal {signal.Signals(number).name}"))  # SimpleQueue: reentrant

    before = {number: signal.signal(number, handler) for number in wanted}
    try:
        yield
    finally:
        for number, previous in before.items():
            signal.signal(number, previous)


def _wait_until_ready(director: Director, clock: Clock, timeout: float = 10.0) -> None:
    """Before the first frame, give the first scene's model a moment for its first keyframe."""
    deadline = clock.now() + timeout
    while not director.current.ready() and clock.now() < deadline:
        # Updated while it waits: a scene may start its work on its first update (the
        # rainbow starts its drift there, so that a trigger that wakes it comes first).
        director.update(clock.now(), [])
        clock.sleep_until(clock.now() + 0.005)
