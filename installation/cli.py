"""Command line: ``installation run | render | doctor | rainbow | osc | train | export | measure``.

Every user mistake becomes one paragraph on stderr and exit code 2; tracebacks only with
``--debug``. Heavy imports (pygame, onnxruntime, torch) happen inside the commands.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from installation.errors import InstallationError
from installation.gaze_commands import add_gaze_commands

DEFAULT_SHOW = Path("show_configs/default.toml")
EXIT_USER_ERROR = 2
log = logging.getLogger("installation")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"seconds must be positive (got {text})")
    return value


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a show (default: show_configs/default.toml)")
    run.add_argument("show", nargs="?", type=Path, default=DEFAULT_SHOW, help="show file (TOML)")
    run.add_argument("--windowed", action="store_true", help="a window instead of fullscreen")
    run.add_argument("--display", type=int, metavar="N", help="monitor index (overrides the show)")
    run.add_argument(
        "--headless", action="store_true", help="no window (SDL dummy driver): tests, benchmarks"
    )
    run.add_argument("--seconds", type=_positive_seconds, metavar="S", help="stop after S seconds")
    run.add_argument("--stats", type=Path, metavar="PATH", help="write run statistics JSON here")
    run.add_argument(
        "--osc-port", type=_port(0), metavar="N", help="listen for OSC on port N (0 = any free)"
    )
    run.add_argument("--no-osc", action="store_true", help="no OSC server and no OSC out")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="posts are rendered into the posting folder's dry-run/ and never sent",
    )
    run.add_argument("--no-posting", action="store_true", help="post nothing this run")
    _add_camera(run)
    run.add_argument("--no-camera", action="store_true", help="no camera and no gaze this run")
    run.set_defaults(handler=_cmd_run)


def _add_camera(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--camera",
        metavar="SOURCE",
        help="camera to use: a device index (0), a video file or a stream URL (overrides "
        "[camera] source and turns the camera on)",
    )


def _port(lowest: int) -> Callable[[str], int]:
    def port(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
        if not lowest <= value <= 65535:
            raise argparse.ArgumentTypeError(f"a port is {lowest}..65535 (got {value})")
        return value

    return port


def _add_osc(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    osc = sub.add_parser("osc", help="check an OSC rig: send a message, watch what the show sends")
    verbs = osc.add_subparsers(dest="verb", metavar="VERB", required=True)
    send = verbs.add_parser(
        "send",
        help="send one OSC message to a show (prints the answer to /ping and /show/status)",
        description="Values: ints, floats, true/false, nil, else strings; s:7 sends the "
        "string '7', f:7 the float 7.0. Example: installation osc send /rainbow/trigger 7",
    )
    send.add_argument("address", help="OSC address, e.g. /rainbow/trigger")
    send.add_argument("values", nargs="*", help="the message's values")
    send.add_argument("--host", default="127.0.0.1", help="the show's host (default 127.0.0.1)")
    send.add_argument("--port", type=_port(1), default=9000, help="the show's OSC port (9000)")
    send.add_argument(
        "--wait", type=float, default=2.0, metavar="S", help="seconds to wait for an answer"
    )
    send.set_defaults(handler=_cmd_osc_send)
    monitor = verbs.add_parser(
        "monitor", help="print what a show sends to its [[osc.targets]] (until Ctrl+C)"
    )
    monitor.add_argument("--host", default="127.0.0.1", help="address to listen on")
    monitor.add_argument("--port", type=_port(0), default=9001, help="port to listen on (9001)")
    monitor.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    monitor.add_argument("--seconds", type=_positive_seconds, metavar="S", help="stop after S s")
    monitor.set_defaults(handler=_cmd_osc_monitor)


def _add_outbox(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = sub.add_parser(
        "outbox", help="the posting outbox: list, retry or drop items, send or post now"
    )
    verbs = outbox.add_subparsers(dest="verb", metavar="VERB", required=True)

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, help=help_text)
        parser.add_argument(
            "--show", type=Path, default=DEFAULT_SHOW, help="the show whose outbox (default.toml)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="the dry-run outbox (`run --dry-run`)"
        )
        return parser

    listing = verb("list", "what is queued, sent, failed or unknown (newest first)")
    listing.add_argument("--state", action="append", choices=STATE_NAMES, help="only these")
    listing.add_argument("--limit", type=int, default=50, help="at most N items (50)")
    listing.set_defaults(handler=_cmd_outbox_list)
    for name, help_text in (
        ("retry", "queue a failed or unknown item again (you checked it was not posted)"),
        ("drop", "delete an item (an unknown one you found posted, or one not to send)"),
    ):
        parser = verb(name, help_text)
        parser.add_argument("id", type=int, help="the item's id (from `outbox list`)")
        parser.set_defaults(handler=_cmd_outbox_change)
    sending = verb("send", "send what is due now, without a show; stops when nothing is due")
    sending.add_argument("--seconds", type=_positive_seconds, metavar="S", help="stop after S s")
    sending.set_defaults(handler=_cmd_outbox_send)
    posting = verbs.add_parser(
        "post", help="queue an image for a target; --dry-run shows the post as it would be sent"
    )
    posting.add_argument("image", type=Path, help="PNG or JPEG")
    posting.add_argument("--show", type=Path, default=DEFAULT_SHOW, help="the show (default.toml)")
    posting.add_argument("--target", required=True, help="a [posting.targets.NAME] of the show")
    posting.add_argument("--caption", default="", help="the post's text")
    posting.add_argument("--alt", required=True, help="alt text: what the picture shows")
    posting.add_argument(
        "--dry-run", action="store_true", help="render the post (limits, re-encoding); send nothing"
    )
    posting.set_defaults(handler=_cmd_outbox_post)


STATE_NAMES = ("queued", "sending", "sent", "failed", "unknown")


def _add_render(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = sub.add_parser(
        "render", help="render a show offline to MP4, GIF, animated PNG or a PNG folder"
    )
    render.add_argument("show", type=Path, help="show file (TOML)")
    render.add_argument("--seconds", type=_positive_seconds, default=10.0, metavar="S")
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
    render.set_defaults(handler=_cmd_render)


def _add_rainbow(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rainbow = sub.add_parser(
        "rainbow", help="generate one rainbow to a PNG (+ JSON to re-render it exactly)"
    )
    rainbow.add_argument("--seed", type=int, default=0, help="which rainbow (default 0)")
    rainbow.add_argument("--truncation", type=float, default=0.8, help="psi, 0..1 (default 0.8)")
    rainbow.add_argument(
        "--from",
        dest="from_record",
        type=Path,
        metavar="JSON",
        help="re-render a gallery record (its z and truncation) instead of --seed",
    )
    rainbow.add_argument(
        "--model", type=Path, default=Path("exported_models/rainbow.onnx"), help="generator ONNX"
    )
    rainbow.add_argument("--output", "-o", type=Path, required=True, help="PNG to write")
    rainbow.set_defaults(handler=_cmd_rainbow)


def _add_doctor(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser("doctor", help="check this machine: versions, providers, models")
    doctor.add_argument("show", nargs="?", type=Path, default=DEFAULT_SHOW, help="show to check")
    doctor.add_argument(
        "--online",
        action="store_true",
        help="also ask each posting target's service whether "
        "its credentials work (one request each; Bluesky reuses the saved session)",
    )
    doctor.set_defaults(handler=_cmd_doctor)


def _add_training(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verbs = {
        "train": sub.add_parser("train", help="train a model (needs the `train` extra: torch)"),
        "export": sub.add_parser(
            "export", help="export a trained checkpoint to ONNX (needs the `train` extra: torch)"
        ),
        "measure": sub.add_parser(
            "measure",
            help="measure an exported ONNX model against its limits "
            "(onnxruntime and numpy only; no torch needed)",
        ),
    }
    from installation.training.lava.commands import COMMANDS as LAVA
    from installation.training.rainbow.commands import COMMANDS as RAINBOW
    from installation.training.tictactoe import commands as tictactoe

    for verb, parser in verbs.items():
        models = parser.add_subparsers(dest="model", metavar="MODEL", required=True)
        for model in (LAVA, RAINBOW):
            command = model.by_verb()[verb]
            model_parser = models.add_parser(model.name, help=model.help)
            command.configure(model_parser)
            model_parser.set_defaults(handler=command.run)
        if verb == "train":
            game = models.add_parser(
                "tictactoe", help="the stage game's agent: Q-learning by self-play (seconds)"
            )
            tictactoe.configure_train(game)
            game.set_defaults(handler=tictactoe.run_train)
    game = sub.add_parser("game", help="the stage game: evaluate its agent")
    game_verbs = game.add_subparsers(dest="verb", metavar="VERB", required=True)
    evaluation = game_verbs.add_parser(
        "eval", help="the agent against a random and a perfect (minimax) player"
    )
    tictactoe.configure_eval(evaluation)
    evaluation.set_defaults(handler=tictactoe.run_eval)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="installation",
        description="Real-time generative art installation: ONNX models at a steady frame rate.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    _add_render(sub)
    _add_doctor(sub)
    _add_rainbow(sub)
    _add_osc(sub)
    _add_outbox(sub)
    _add_training(sub)
    add_gaze_commands(sub)
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from installation.app import RunOptions, run_show, with_camera
    from installation.scenes.registry import load_show

    config = with_camera(load_show(args.show), args.camera)
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


def _cmd_render(args: argparse.Namespace) -> int:
    from installation.render import RenderOptions, parse_size, render_show
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


def _cmd_rainbow(args: argparse.Namespace) -> int:
    from installation.rainbow_still import StillRequest, render_still

    render_still(
        StillRequest(
            output=args.output,
            model=args.model,
            seed=args.seed,
            truncation=args.truncation,
            from_record=args.from_record,
        )
    )
    return 0


def _cmd_osc_send(args: argparse.Namespace) -> int:
    from installation.osc_tools import SendRequest, send

    return send(SendRequest(args.address, args.values, args.host, args.port, args.wait))


def _cmd_osc_monitor(args: argparse.Namespace) -> int:
    from installation.osc_tools import MonitorRequest, monitor

    try:
        return monitor(MonitorRequest(args.host, args.port, args.count, args.seconds))
    except KeyboardInterrupt:
        return 0


def _cmd_outbox_list(args: argparse.Namespace) -> int:
    from installation.outbox_tools import OutboxRequest, list_items

    states = tuple(args.state or ())
    return list_items(OutboxRequest(args.show, args.dry_run), states, args.limit)


def _cmd_outbox_change(args: argparse.Namespace) -> int:
    from installation.outbox_tools import OutboxRequest, drop, retry

    action = retry if args.verb == "retry" else drop
    return action(OutboxRequest(args.show, args.dry_run), args.id)


def _cmd_outbox_send(args: argparse.Namespace) -> int:
    from installation.outbox_tools import OutboxRequest, send

    try:
        return send(OutboxRequest(args.show, args.dry_run), args.seconds)
    except KeyboardInterrupt:
        return 130


def _cmd_outbox_post(args: argparse.Namespace) -> int:
    from installation.outbox_tools import OutboxRequest, post

    request = OutboxRequest(args.show)
    return post(request, args.image, args.target, args.caption, args.alt, args.dry_run)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from installation.doctor import run_doctor

    return run_doctor(args.show, args.online)


def _configure_logging(debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.debug, args.quiet)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except InstallationError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
