"""Offline rendering: a show's scenes at a fixed frame rate, as fast as the models allow.

Uses a ``ManualClock`` stepped one frame at a time and computes every keyframe inline, so a
render is identical for the same show, seed, size and frame rate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from installation.app import build_director, offline_kit
from installation.config.schema import ShowConfig
from installation.errors import InstallationError
from installation.loop.clock import ManualClock
from installation.models.catalog import load_models
from installation.outputs.display import PygameDisplay
from installation.outputs.video_file import FrameWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderOptions:
    output: Path
    seconds: float = 10.0
    seed: int | None = None
    fps: int | None = None
    size: tuple[int, int] | None = None


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not match or min(int(match[1]), int(match[2])) < 16:
        raise InstallationError(f"--size {text!r} is not WIDTHxHEIGHT (e.g. 1280x720, each >= 16).")
    return int(match[1]), int(match[2])


def with_overrides(config: ShowConfig, options: RenderOptions) -> ShowConfig:
    scenes = config.scenes
    if options.seed is not None:
        scenes = [scene.model_copy(update={"seed": options.seed}) for scene in scenes]
    show = config.show.model_copy(update={"fps": options.fps}) if options.fps else config.show
    display = (
        config.display.model_copy(update={"render_size": options.size})
        if options.size
        else config.display
    )
    return config.model_copy(update={"scenes": scenes, "show": show, "display": display})


def render_show(config: ShowConfig, options: RenderOptions) -> int:
    """Render ``options.seconds`` of the show to ``options.output``; returns the frame count."""
    config = with_overrides(config, options)
    fps = config.show.fps
    frames = max(1, round(options.seconds * fps))
    models = load_models(config.models, config.runtime)
    display = PygameDisplay(config.display.render_size, headless=True)
    clock = ManualClock()
    director = build_director(config, models, offline_kit(lambda event: None))
    display.open()
    try:
        director.start(clock.now())
        with FrameWriter(options.output, fps) as writer:
            for _ in tqdm(range(frames), desc=f"render {options.output.name}", unit="frame"):
                director.update(clock.now(), [])
                director.draw(display)
                writer.write(display.snapshot())
                clock.advance(1.0 / fps)
    finally:
        director.stop()
        display.close()
    log.info(
        "rendered %d frames (%.1f s at %d fps) to %s", frames, frames / fps, fps, options.output
    )
    return frames
