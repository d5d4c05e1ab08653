"""Command-line glue for ``installation train|export|measure lava``.

torch is imported only when ``train`` or ``export`` runs, so the rest of the command line works
without the ``train`` extra (without it those two raise a TrainingError that says what to
install); ``measure`` needs onnxruntime and numpy only.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from installation.training.common.cli_options import (
    add_count_options,
    add_export_options,
    add_measure_options,
    add_run_options,
    positive_int,
)
from installation.training.common.commands import Command, ModelCommands, report_trained
from installation.training.common.torch_check import require_torch

MEASURE_DESCRIPTION = """\
Runs the neural lava lamp's measures (docs/lava_lamp.md) on an exported ONNX file with
onnxruntime and numpy (the `train` extra is not needed) and prints PASS or FAIL for each
limit: never diverges, never freezes or loops, looks like the footage, fast. Exit code 0 when
every limit passes, 1 when one fails, 2 when the model cannot be measured.
"""


def configure_train(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation train lava``."""
    parser.add_argument(
        "--video",
        type=Path,
        metavar="FILE",
        help="train on a real lava lamp video instead of the simulator",
    )
    add_run_options(parser, "lava")
    parser.add_argument(
        "--iterations",
        type=positive_int,
        metavar="N",
        help="autoencoder iterations (the stepper gets half as many)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="torch CPU threads (default: 2, 1 with --quick; use 1 if another job shares 2 cores)",
    )
    parser.add_argument(
        "--footage-clips", type=positive_int, metavar="N", help="number of simulated footage clips"
    )


def run_train(args: argparse.Namespace) -> int:
    """Train (or resume) the lava lamp; prints where the checkpoint and samples are."""
    require_torch("the lava lamp")
    from installation.training.lava.train import LavaTrainConfig, LavaTrainer

    config = LavaTrainConfig.quick() if args.quick else LavaTrainConfig()
    config = replace(config, seed=args.seed)
    if args.threads is not None:
        config = replace(config, threads=args.threads)
    if args.video is not None:
        config = replace(config, video=str(args.video))
    if args.iterations is not None:
        config = replace(
            config,
            autoencoder_iterations=args.iterations,
            stepper_iterations=max(1, args.iterations // 2),
        )
    if args.footage_clips is not None:
        config = replace(config, footage_clips=args.footage_clips)
    checkpoint = LavaTrainer(config, args.out, resume=args.resume).train()
    report_trained(checkpoint, "samples and rollout video", args.out, "lava")
    return 0


def configure_export(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation export lava``."""
    add_export_options(parser, "lava", Path("exported_models/lava_lamp.onnx"))


def run_export(args: argparse.Namespace) -> int:
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


def configure_measure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation measure lava``."""
    parser.description = MEASURE_DESCRIPTION
    add_measure_options(parser, "lava lamp", "lava_rollout.png")
    add_count_options(
        parser,
        [
            ("--seeds", 5, "rollouts, one per seed"),
            ("--steps", 100_000, "steps per seed"),
            ("--frames", 10_000, "frames per set for the SWD"),
            ("--footage-clips", 20, "held-out clips per footage set"),
            ("--spacing", 10, "steps between frames used for the SWD"),
        ],
    )


def run_measure(args: argparse.Namespace) -> int:
    """Measure an exported lava lamp; 0 when every limit passes, 1 when one fails."""
    from installation.training.common.report import measure_and_report
    from installation.training.lava.metrics import format_report, measure, write_figures

    return measure_and_report(
        args,
        write_figures,
        lambda: measure(
            args.model_file, args.seeds, args.steps, args.frames, args.footage_clips, args.spacing
        ),
        format_report,
    )


COMMANDS = ModelCommands(
    name="lava",
    help="the neural lava lamp",
    train=Command(configure_train, run_train),
    export=Command(configure_export, run_export),
    measure=Command(configure_measure, run_measure),
)
