"""What several command groups share: argument types, the default show, the parser type."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

DEFAULT_SHOW = Path("show_configs/default.toml")
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace], int]


def positive_seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"seconds must be positive (got {text})")
    return value


def port(lowest: int) -> Callable[[str], int]:
    """An argparse type: a UDP/TCP port from ``lowest`` to 65535."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
        if not lowest <= value <= 65535:
            raise argparse.ArgumentTypeError(f"a port is {lowest}..65535 (got {value})")
        return value

    return parse


def add_camera_option(parser: argparse.ArgumentParser) -> None:
    """``--camera SOURCE``, shared by ``run`` and ``calibrate``."""
    parser.add_argument(
        "--camera",
        metavar="SOURCE",
        help="camera to use: a device index (0), a video file or a stream URL (overrides "
        "[camera] source and turns the camera on)",
    )
