"""Command-line options that the train, export and measure commands of every model share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def add_run_options(parser: argparse.ArgumentParser, model: str) -> None:
    """A training's ``--quick``, ``--out`` (default ``runs/MODEL``), ``--resume``, ``--seed``."""
    parser.add_argument(
        "--quick", action="store_true", help="tiny configuration that trains in seconds (for tests)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs") / model,
        metavar="DIR",
        help=f"run folder (default: runs/{model})",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the run folder's checkpoint.pt"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")


def add_export_options(parser: argparse.ArgumentParser, model: str, default_output: Path) -> None:
    """The ``CHECKPOINT`` to export and the ``--output`` ONNX file."""
    parser.add_argument(
        "checkpoint",
        type=Path,
        metavar="CHECKPOINT",
        help=f"checkpoint.pt written by `train {model}`",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=default_output,
        help=f"ONNX file to write (default: {default_output})",
    )


def add_measure_options(parser: argparse.ArgumentParser, what: str, figures: str) -> None:
    """The ``MODEL.onnx`` to measure (``args.model_file``), ``--out JSON``, ``--figures DIR``."""
    parser.add_argument(
        "model_file", type=Path, metavar="MODEL.onnx", help=f"exported {what} ONNX file"
    )
    parser.add_argument("--out", type=Path, metavar="JSON", help="write the report as JSON here")
    parser.add_argument("--figures", type=Path, metavar="DIR", help=f"also write {figures} here")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a number of 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def add_count_options(
    parser: argparse.ArgumentParser, counts: Sequence[tuple[str, int, str]]
) -> None:
    """One ``--OPTION N`` (a positive whole number) per ``(option, default, what it counts)``."""
    for option, default, what in counts:
        parser.add_argument(
            option,
            type=positive_int,
            default=default,
            metavar="N",
            help=f"{what} (default: {default})",
        )
