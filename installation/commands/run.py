"""``installation run [SHOW]``: the show, fullscreen, until Escape (or ``--seconds``)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from installation.commands.common import (
    DEFAULT_SHOW,
    SubParsers,
    add_camera_option,
    port,
    positive_seconds,
)

log = logging.getLogger("installation")


def register(sub: SubParsers) -> None:
    run = sub.add_parser("run", help="run a show (default: show_configs/default.toml)")
    run.add_argument("show", nargs="?", type=Path, default=DEFAULT_SHOW, help="show file (TOML)")
    run.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    run.add_argument("--display", type=int, metavar="N", help="monitor index (overrides the show)")
    run.add_argument(
        "--headless",
        action="store_true",
        help="no window (SDL dummy driver): tests, benchmarks, a show that only posts",
    )
    run.add_argument("--seconds", type=positive_seconds, metavar="S", help="stop after S seconds")
    run.add_argument("--stats", type=Path, metavar="PATH", help="write run statistics JSON here")
    run.add_argument(
        "--osc-port", type=port(0), metavar="N", help="listen for OSC on port N (0 = any free)"
    )
    run.add_argument("--no-osc", action="store_true", help="no OSC server and no OSC out")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="posts are rendered into the posting folder's dry-run/ and never sent",
    )
    run.add_argument("--no-posting", action="store_true", help="post nothing this run")
    add_camera_option(run)
    run.add_argument("--no-camera", action="store_true", help="no camera and no gaze this run")
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from installation.app import RunOptions, run_show, with_camera
    from installation.outputs.sdl import require_screen
    from installation.scenes.registry import load_show

    config = with_camera(load_show(args.show), args.camera)
    # Before the models load: a kiosk unit started without DISPLAY fails in a second, and
    # does not run invisibly on SDL's offscreen driver (see installation/outputs/sdl.py).
    require_screen(args.headless)
    options = RunOptions(
        headless=args.headless,
        windowed=args.windowed,
        display=args.display,
        seconds=args.seconds,
        osc_port=args.osc_port,
        osc=not args.no_osc,
        posting=not args.no_posting,
        dry_run=args.dry_run,
        camera=not args.no_camera,
    )
    stats = run_show(config, options)
    summary = stats.as_dict()
    log.info(
        "%d frames in %.1f s, on time %.2f %%, frame interval p99 %.2f ms",
        summary["frames"],
        summary["duration_s"],
        100 * summary["on_time_ratio"],
        summary["frame_interval_ms"]["p99"],
    )
    if args.stats is not None:
        stats.write(args.stats)
        log.info("stats written to %s", args.stats)
    return 0
