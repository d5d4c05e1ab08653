"""``installation render SHOW -o FILE``: a show offline, at a fixed frame rate, as fast as it can.

Uses a ``ManualClock`` stepped one frame at a time and computes every keyframe inline, so a
render is identical for the same show, seed, size and frame rate.
"""

from __future__ import annotations

import argparse
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from installation.commands.common import SubParsers, positive_seconds
from installation.errors import InstallationError

if TYPE_CHECKING:
    from installation.config.schema import ShowConfig

log = logging.getLogger(__name__)


def register(sub: SubParsers) -> None:
    render = sub.add_parser(
        "render", help="render a show offline to MP4, GIF, animated PNG or a PNG folder"
    )
    render.add_argument("show", type=Path, help="show file (TOML)")
    render.add_argument("--seconds", type=positive_seconds, default=10.0, metavar="S")
    render.add_argument(
        "--output",
        "-o",
        type=Path,
        required=True,
        help="FILE.mp4, FILE.gif, FILE.png (animated) or a folder (one PNG per frame)",
    )
    render.add_argument("--seed", type=int, default=None, help="override every scene's seed")
    render.add_argument("--fps", type=int, default=None, help="frame rate (default: the show's)")
    render.add_argument(
        "--size", type=str, default=None, metavar="WxH", help="canvas size (default: the show's)"
    )
    render.set_defaults(handler=render_command)


def render_command(args: argparse.Namespace) -> int:
    from installation.scenes.registry import load_show

    config = load_show(args.show)
    options = RenderOptions(
        output=args.output,
        seconds=args.seconds,
        seed=args.seed,
        fps=args.fps,
        size=parse_size(args.size) if args.size else None,
    )
    render_show(config, options)
    return 0


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
    from tqdm import tqdm

    from installation.app import build_director, offline_kit
    from installation.loop.clock import ManualClock
    from installation.models.catalog import load_models
    from installation.outputs.display import PygameDisplay
    from installation.outputs.video_file import FrameWriter

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
