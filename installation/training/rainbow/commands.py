"""Command-line glue for ``installation train rainbow`` and ``installation export rainbow``.

torch is imported only when a command runs, so the rest of the command line works without
the ``train`` extra; without it the commands raise a TrainingError that says what to install.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from installation.errors import TrainingError
from installation.training.common.torch_check import require_torch


def configure_train_rainbow(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation train rainbow``."""
    parser.add_argument(
        "--images",
        type=Path,
        metavar="DIR",
        help="train on a folder of rainbow photos instead of the procedural renderer",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny configuration that trains in seconds (for tests)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/rainbow"),
        metavar="DIR",
        help="run folder (default: runs/rainbow)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the run folder's checkpoint.pt"
    )
    parser.add_argument("--iterations", type=int, metavar="N", help="training iterations")
    parser.add_argument(
        "--threads", type=int, default=2, metavar="N", help="torch CPU threads (default: 2)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")
    parser.add_argument(
        "--resolution",
        type=int,
        metavar="N",
        help="image size, a power of two (default 128; 256 or more on a GPU)",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where to train (default: cpu)",
    )


def run_train_rainbow(args: argparse.Namespace) -> int:
    """Train (or resume) the rainbow generator; prints where the checkpoint and samples are."""
    # OpenMP threads that spin while waiting collapse when another process holds one of the
    # cores (13 s instead of 1.4 s per iteration measured on 2 cores); passive waiting degrades
    # gracefully. Only effective before torch is first imported in this process.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    require_torch("the rainbow generator")
    from installation.training.rainbow.train import RainbowTrainConfig, RainbowTrainer

    config = RainbowTrainConfig.quick() if args.quick else RainbowTrainConfig()
    config = replace(config, threads=args.threads, seed=args.seed, device=args.device)
    if args.images is not None:
        config = replace(config, images=str(args.images))
    if args.iterations is not None:
        if args.iterations < 1:
            raise TrainingError(f"--iterations must be at least 1, got {args.iterations}.")
        config = replace(config, iterations=args.iterations)
    if args.resolution is not None:
        config = replace(config, resolution=args.resolution)
    if args.device == "cuda":
        # The CPU time budget does not apply on a GPU.
        config = replace(config, time_budget_minutes=None)
    trainer = RainbowTrainer(config, args.out, resume=args.resume)
    checkpoint = trainer.train()
    print(f"checkpoint: {checkpoint}")
    print(f"sample grids: {args.out}")
    print(f"export with: installation export rainbow {checkpoint}")
    return 0


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def configure_export_rainbow(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation export rainbow``."""
    parser.add_argument(
        "checkpoint",
        type=Path,
        metavar="CHECKPOINT",
        help="checkpoint.pt written by `train rainbow`",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("exported_models/rainbow.onnx"),
        help="ONNX file to write (default: exported_models/rainbow.onnx)",
    )
    parser.add_argument(
        "--latent-smoothing",
        type=_non_negative_float,
        default=None,
        metavar="SIGMA",
        help="average the mapping over fixed offsets of this size around each normalised z, "
        "so walks cross the model's jumps between layouts in several frames (0 = off; "
        "default: the value the shipped model uses, see docs/rainbow.md)",
    )


def run_export_rainbow(args: argparse.Namespace) -> int:
    """Export a checkpoint to an ONNX file that follows the generator contract."""
    require_torch("the rainbow generator")
    from installation.training.rainbow.export import DEFAULT_LATENT_SMOOTHING, export_rainbow

    sigma = DEFAULT_LATENT_SMOOTHING if args.latent_smoothing is None else args.latent_smoothing
    report = export_rainbow(args.checkpoint, args.output, sigma)
    print(
        f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB, "
        f"{report.resolution}x{report.resolution}); onnxruntime matches torch "
        f"(image within {report.image_max_abs_diff} levels); latent smoothing {sigma:g}"
    )
    return 0
