"""Command-line glue for ``installation train lava`` and ``installation export lava``.

torch is imported only when a command runs, so the rest of the command line works without
the ``train`` extra; without it the commands raise a TrainingError that says what to install.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from installation.errors import TrainingError
from installation.training.common.torch_check import require_torch


def configure_train_lava(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation train lava``."""
    parser.add_argument(
        "--video",
        type=Path,
        metavar="FILE",
        help="train on a real lava lamp video instead of the simulator",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny configuration that trains in seconds (for tests)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("runs/lava"),
        metavar="DIR",
        help="run folder (default: runs/lava)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the run folder's checkpoint.pt"
    )
    parser.add_argument(
        "--iterations",
        type=int,
        metavar="N",
        help="autoencoder iterations (the stepper gets half as many)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch CPU threads (default: 2, 1 with --quick; use 1 if another job shares 2 cores)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default: 0)")
    parser.add_argument(
        "--footage-clips", type=int, metavar="N", help="number of simulated footage clips"
    )


def run_train_lava(args: argparse.Namespace) -> int:
    """Train (or resume) the lava lamp; prints where the checkpoint and samples are."""
    require_torch("the lava lamp")
    from installation.training.lava.train import LavaTrainConfig, LavaTrainer

    config = LavaTrainConfig.quick() if args.quick else LavaTrainConfig()
    config = replace(config, seed=args.seed)
    if args.threads is not None:
        if args.threads < 1:
            raise TrainingError(f"--threads must be at least 1, got {args.threads}.")
        config = replace(config, threads=args.threads)
    if args.video is not None:
        config = replace(config, video=str(args.video))
    if args.iterations is not None:
        if args.iterations < 1:
            raise TrainingError(f"--iterations must be at least 1, got {args.iterations}.")
        config = replace(
            config,
            autoencoder_iterations=args.iterations,
            stepper_iterations=max(1, args.iterations // 2),
        )
    if args.footage_clips is not None:
        if args.footage_clips < 1:
            raise TrainingError(f"--footage-clips must be at least 1, got {args.footage_clips}.")
        config = replace(config, footage_clips=args.footage_clips)
    trainer = LavaTrainer(config, args.out, resume=args.resume)
    checkpoint = trainer.train()
    print(f"checkpoint: {checkpoint}")
    print(f"samples and rollout video: {args.out}")
    print(f"export with: installation export lava {checkpoint}")
    return 0


def configure_export_lava(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation export lava``."""
    parser.add_argument(
        "checkpoint", type=Path, metavar="CHECKPOINT", help="checkpoint.pt written by `train lava`"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("exported_models/lava_lamp.onnx"),
        help="ONNX file to write (default: exported_models/lava_lamp.onnx)",
    )


def run_export_lava(args: argparse.Namespace) -> int:
    """Export a checkpoint to an ONNX file that follows the lava_lamp contract."""
    require_torch("the lava lamp")
    from installation.training.lava.export import export_lava

    report = export_lava(args.checkpoint, args.output)
    print(
        f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB, latent {report.latent_size}); "
        f"onnxruntime matches torch (frame within {report.frame_max_abs_diff} levels, "
        f"z_next within {report.z_next_max_abs_diff:.1e})"
    )
    return 0
