"""Command line: parses the arguments and dispatches to ``installation.commands``.

Every user mistake becomes one paragraph on stderr and exit code 2; tracebacks only with
``--debug``. Each command group lives in its own module under ``installation/commands/``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from installation.commands import (
    config_reference,
    doctor,
    gaze,
    osc,
    outbox,
    rainbow,
    render,
    run,
    training,
)
from installation.commands.common import Handler
from installation.errors import InstallationError

EXIT_USER_ERROR = 2
COMMAND_GROUPS = (run, render, doctor, rainbow, osc, outbox, training, gaze, config_reference)
"""Each module adds its subcommands to the parser (``register``), in ``--help`` order."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="installation",
        description="Real-time generative art installation: ONNX models at a steady frame rate.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def _configure_logging(debug: bool, quiet: bool) -> None:
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.debug, args.quiet)
    handler: Handler = args.handler
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
