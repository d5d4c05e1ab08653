"""Builds a show from its config: the only place that names concrete workers, inputs and outputs.

A live show is: models loaded and warmed up; the display; the output bus with its sinks
(stats, gallery); the director with its scenes; the input sources (the window's keys and
gamepads); the frame loop. Shutdown runs in reverse, and only there are worker threads joined.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from installation.canvas import Image
from installation.config.schema import ShowConfig
from installation.errors import ConfigError, InputError
from installation.events import Event, EventQueue
from installation.inputs.base import InputSource, start_sources, stop_sources
from installation.inputs.controls import ControlMap
from installation.inputs.gaze import GazeInput
from installation.inputs.hotkeys import GlobalHotkeys, hotkey_problems
from installation.inputs.osc import OscInput
from installation.inputs.osc_addresses import OscAddressSpace
from installation.inputs.osc_advertise import OscAdvertiser
from installation.inputs.osc_router import AllowList, OscRouter, RateLimiter
from installation.inputs.window import WindowInput, control_problems
from installation.loop.clock import Clock, RealClock
from installation.loop.overlay import StatsOverlay
from installation.loop.runner import FrameRunner
from installation.loop.stats import RunStats
from installation.loop.stats_sink import StatsSink
from installation.models.base import Model
from installation.models.catalog import load_models
from installation.models.request_worker import InlineRequests, ThreadedRequests
from installation.models.sequence_worker import InlineSequence, ThreadedSequence
from installation.outputs.base import OutputBus
from installation.outputs.display import PygameDisplay
from installation.outputs.gallery import GalleryWriter
from installation.outputs.instance_lock import DisplayLock
from installation.outputs.osc_out import OscSender
from installation.outputs.publishers.outbox import Outbox
from installation.outputs.publishers.posting_sink import PeriodicFrames, PostingSink
from installation.outputs.publishers.targets import build_outbox
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


def run_show(
    config: ShowConfig,
    options: RunOptions,
    clock: Clock | None = None,
    extra_sources: Sequence[InputSource] = (),
) -> RunStats:
    """Load models, open the display, run the frame loop; return the run's stats.

    ``extra_sources`` are started beside the window's input, the OSC server and the global
    hotkeys and the camera (tests and benchmarks add their own).
    """
    sys.setswitchinterval(0.001)  # model workers' Python bits must not hold the GIL for 5 ms
    scene_names = {s.label for s in config.scenes} | {s.kind for s in config.scenes}
    problems = control_problems(config.controls) + OscAddressSpace(config.controls.osc).problems()
    problems += hotkey_problems(config.controls.hotkeys, scene_names)
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
    clock = clock or RealClock()
    events = EventQueue()
    stats_sink = StatsSink(stats)
    bus = OutputBus([stats_sink], count=stats.count)
    if config.gallery.enabled:
        bus.add(GalleryWriter(config.gallery.folder))
    osc_enabled = options.osc and config.osc.enabled
    if osc_enabled:
        targets = [(target.host, target.port) for target in config.osc.targets]
        providers = {name: model.provider for name, model in models.items()}
        bus.add(OscSender(targets, providers, stats.count, config.gallery.enabled))
    outbox = posting_outbox(config, options, stats.count)
    if outbox is not None:
        bus.add(PostingSink(config.posting, outbox, config.show.name))
    workers = LiveWorkers()
    director = build_director(config, models, live_kit(bus.publish, workers))
    capture = None
    frames = config.posting.frames
    if outbox is not None and frames.every_seconds and frames.targets:
        capture = PeriodicFrames(
            frames,
            outbox,
            display.grab,
            lambda: director.current.name,
            config.show.name,
            config.posting.folder,
            dark=lambda: director.blackout_level > 0.0,
        )
    network: list[InputSource] = []
    osc_source = osc_input(config, director, stats, options.osc_port) if osc_enabled else None
    if osc_source is not None:
        network.append(osc_source)
    gaze = gaze_input(config, stats, options)
    if gaze is not None:
        network.append(gaze)
    hotkeys = GlobalHotkeys(config.controls)
    if hotkeys.hotkeys:  # a show without hotkeys needs no warning that it has none
        network.append(hotkeys)
    advertiser: OscAdvertiser | None = None
    overlay = StatsOverlay(config.show.fps, {name: m.provider for name, m in models.items()})
    sources: list[InputSource] = []
    try:
        display.open()
        overlay.warm_up(display)
        bus.start()
        window = WindowInput(ControlMap(config.controls))
        sources = start_sources([window, *network, *extra_sources], events.post)
        if osc_source in sources and config.osc.advertise:
            advertiser = _advertise(config, osc_source)
        director.start(clock.now())
        _wait_until_ready(director, clock)
        # What exists now lives as long as the show: keep it out of every later collection,
        # so a full collection during the show scans only what the show made since.
        gc.collect()
        gc.freeze()
        polled = [source for source in sources if source.polled]
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
            capture=capture,
        )
        runner.run(options.seconds)
        log.info("show stopped: %s", runner.quit_reason)
    finally:
        gc.unfreeze()
        if advertiser is not None:
            advertiser.stop()  # the goodbye goes out while the port is still open
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


def gaze_input(config: ShowConfig, stats: RunStats, options: RunOptions) -> GazeInput | None:
    """The camera and gaze source when the show has a camera (None: ``--no-camera``)."""
    if not (options.camera and config.camera.enabled and config.gaze.enabled):
        return None
    return GazeInput(
        config.camera, config.gaze, config.controls.gaze, count=stats.count, timing=stats.time
    )


def posting_outbox(
    config: ShowConfig, options: RunOptions, count: Callable[[str], None]
) -> Outbox | None:
    """The show's outbox (None when it has no posting targets, or posting is off)."""
    posting = config.posting
    if not (options.posting and posting.enabled and posting.targets):
        return None
    return build_outbox(posting, options.dry_run or posting.dry_run, count)


def _advertise(config: ShowConfig, source: OscInput) -> OscAdvertiser | None:
    """Announce the running OSC server over zeroconf; a failure is one line, the show goes on."""
    advertiser = OscAdvertiser()
    host, port = source.address
    try:
        advertiser.start(host, port, config.osc.service_name or config.show.name)
    except InputError as exc:
        log.warning("OSC is not advertised over zeroconf: %s", exc)
        return None
    return advertiser


def osc_input(
    config: ShowConfig, director: Director, stats: RunStats, port: int | None = None
) -> OscInput:
    """The OSC server for a show: its address space, allow-list and rate limit from ``[osc]``."""
    settings = config.osc
    router = OscRouter(
        OscAddressSpace(config.controls.osc),
        director,
        AllowList(settings.allow),
        RateLimiter(settings.rate_limit, settings.rate_burst),
        stats.count,
        max_schedule_seconds=settings.max_schedule_seconds,
    )
    return OscInput(settings, router, port)


def _wait_until_ready(director: Director, clock: Clock, timeout: float = 10.0) -> None:
    """Before the first frame, give the first scene's model a moment for its first keyframe."""
    deadline = clock.now() + timeout
    while not director.current.ready() and clock.now() < deadline:
        # Updated while it waits: a scene may start its work on its first update (the
        # rainbow starts its drift there, so that a trigger that wakes it comes first).
        director.update(clock.now(), [])
        clock.sleep_until(clock.now() + 0.005)
