"""Builds a show from its config: the only place that names concrete scene classes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from installation.config.schema import LatentWalkScene as LatentWalkSettings
from installation.config.schema import LavaLampScene as LavaLampSettings
from installation.config.schema import SceneEntry, ShowConfig
from installation.events import EventQueue
from installation.loop.clock import Clock, RealClock
from installation.loop.runner import FrameRunner
from installation.loop.stats import RunStats
from installation.models.catalog import load_models
from installation.models.onnx_runtime import OnnxModel
from installation.models.sequence_worker import InlineSequence, ThreadedSequence
from installation.outputs.display import PygameDisplay
from installation.outputs.instance_lock import DisplayLock
from installation.scenes.base import Image, Scene, SequenceFactory
from installation.scenes.director import Director
from installation.scenes.latent_walk import LatentWalkScene
from installation.scenes.lava_lamp import LavaLampScene

log = logging.getLogger(__name__)

SceneFactory = Callable[[Any, OnnxModel, SequenceFactory[Image]], Scene]
SCENES: dict[str, SceneFactory] = {
    "lava_lamp": lambda settings, model, make: LavaLampScene(settings, model, make),
    "latent_walk": lambda settings, model, make: LatentWalkScene(settings, model, make),
}
"""Scene kind (the ``kind`` key of a ``[[scenes]]`` table) -> factory."""


def threaded_sequences(produce: Callable[[int], Image], name: str) -> ThreadedSequence[Image]:
    return ThreadedSequence(produce, name)


def inline_sequences(produce: Callable[[int], Image], name: str) -> InlineSequence[Image]:
    return InlineSequence(produce)


def build_scene(
    settings: SceneEntry, models: Mapping[str, OnnxModel], make: SequenceFactory[Image]
) -> Scene:
    assert isinstance(settings, LavaLampSettings | LatentWalkSettings)
    return SCENES[settings.kind](settings, models[settings.model], make)


def build_director(
    config: ShowConfig, models: Mapping[str, OnnxModel], make: SequenceFactory[Image]
) -> Director:
    scenes = [build_scene(entry, models, make) for entry in config.scenes]
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
    director = build_director(config, models, threaded_sequences)
    try:
        display.open()
        director.start(clock.now())
        _wait_until_ready(director, clock)
        runner = FrameRunner(display, director, EventQueue(), clock, stats)
        runner.run(options.seconds)
        log.info("show stopped: %s", runner.quit_reason)
    finally:
        director.stop()
        display.close()
        if lock is not None:
            lock.release()
    return stats


def _wait_until_ready(director: Director, clock: Clock, timeout: float = 10.0) -> None:
    """Before the first frame, give the first scene's model a moment for its first keyframe."""
    deadline = clock.now() + timeout
    while not director.current.ready() and clock.now() < deadline:
        clock.sleep_until(clock.now() + 0.005)
