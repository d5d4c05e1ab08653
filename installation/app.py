"""Builds a show from its config: the only place that names concrete scene classes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from installation.config.schema import SceneEntry, ShowConfig
from installation.events import Event, EventQueue, EventSink
from installation.loop.clock import Clock, RealClock
from installation.loop.runner import FrameRunner
from installation.loop.stats import RunStats, StatsSink
from installation.models.catalog import load_models
from installation.models.onnx_runtime import OnnxModel
from installation.models.request_worker import InlineRequests, ThreadedRequests
from installation.models.sequence_worker import InlineSequence, ThreadedSequence
from installation.outputs.display import PygameDisplay
from installation.outputs.gallery import GalleryWriter
from installation.outputs.instance_lock import DisplayLock
from installation.scenes.base import Image, Scene, SequenceFactory
from installation.scenes.director import Director
from installation.scenes.latent_walk import LatentWalkScene
from installation.scenes.lava_lamp import LavaLampScene
from installation.scenes.rainbow import RainbowScene, RequestFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SceneKit:
    """What a scene factory gets besides its settings: workers and a way to post events."""

    make_sequence: SequenceFactory[Image]
    make_requests: RequestFactory
    emit: Callable[[Event], None]


SceneFactory = Callable[[Any, OnnxModel, SceneKit], Scene]
SCENES: dict[str, SceneFactory] = {
    "lava_lamp": lambda settings, model, kit: LavaLampScene(settings, model, kit.make_sequence),
    "latent_walk": lambda settings, model, kit: LatentWalkScene(settings, model, kit.make_sequence),
    "rainbow": lambda settings, model, kit: RainbowScene(
        settings, model, kit.make_sequence, kit.make_requests, kit.emit
    ),
}
"""Scene kind (the ``kind`` key of a ``[[scenes]]`` table) -> factory."""


def threaded_sequences(produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
    return ThreadedSequence(produce, name)


def inline_sequences(produce: Callable[[int], Image], name: str) -> InlineSequence[Image]:
    return InlineSequence(produce)


def live_kit(emit: Callable[[Event], None]) -> SceneKit:
    """Workers on threads: the frame loop never waits for a model."""
    return SceneKit(threaded_sequences, ThreadedRequests, emit)


def offline_kit(emit: Callable[[Event], None]) -> SceneKit:
    """Everything computed inline: deterministic, for rendering and tests."""
    return SceneKit(inline_sequences, lambda run, name: InlineRequests(run), emit)


def build_scene(settings: SceneEntry, models: Mapping[str, OnnxModel], kit: SceneKit) -> Scene:
    return SCENES[settings.kind](settings, models[settings.model], kit)


def build_director(config: ShowConfig, models: Mapping[str, OnnxModel], kit: SceneKit) -> Director:
    scenes = [build_scene(entry, models, kit) for entry in config.scenes]
    durations = [entry.duration_seconds for entry in config.scenes]
    return Director(scenes, durations, config.show.crossfade_seconds, config.display.background)


@dataclass(frozen=True)
class RunOptions:
    """Command-line choices that override or complete the show config."""

    headless: bool = False
    windowed: bool = False
    display: int | None = None
    seconds: float | None = None


def run_show(config: ShowConfig, options: RunOptions, clock: Clock | None = None) -> RunStats:
    """Load models, open the display, run the frame loop; return the run's stats."""
    sys.setswitchinterval(0.001)  # model workers' Python bits must not hold the GIL for 5 ms
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
    director = build_director(config, models, live_kit(events.post))
    sinks: list[EventSink] = [StatsSink(stats)]
    gallery = GalleryWriter(config.gallery.folder) if config.gallery.enabled else None
    if gallery is not None:
        gallery.start()
        sinks.append(gallery)
    try:
        display.open()
        director.start(clock.now())
        _wait_until_ready(director, clock)
        runner = FrameRunner(display, director, events, clock, stats, sinks)
        runner.run(options.seconds)
        log.info("show stopped: %s", runner.quit_reason)
    finally:
        director.stop()
        display.close()
        if gallery is not None:
            gallery.stop()
        if lock is not None:
            lock.release()
    return stats


def _wait_until_ready(director: Director, clock: Clock, timeout: float = 10.0) -> None:
    """Before the first frame, give the first scene's model a moment for its first keyframe."""
    deadline = clock.now() + timeout
    while not director.current.ready() and clock.now() < deadline:
        clock.sleep_until(clock.now() + 0.005)
