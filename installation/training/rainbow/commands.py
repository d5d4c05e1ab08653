"""Command-line glue for ``installation train|export|measure rainbow``.

torch is imported only when ``train`` or ``export`` runs, so the rest of the command line works
without the ``train`` extra (without it those two raise a TrainingError that says what to
install); ``measure`` needs onnxruntime and numpy only.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from installation.errors import TrainingError
from installation.training.common.cli_options import (
    add_count_options,
    add_export_options,
    add_measure_options,
    add_run_options,
    non_negative_float,
    positive_int,
)
from installation.training.common.commands import Command, ModelCommands, report_trained
from installation.training.common.torch_check import require_torch

MEASURE_DESCRIPTION = """\
Runs the rainbow generator's measures (docs/rainbow.md) on an exported ONNX file with
onnxruntime, numpy and OpenCV (the `train` extra is not needed) against held-out renderer
images and prints PASS or FAIL for each limit: bow geometry, bows found, texture at every
scale, sharpness, colour statistics, rainbow colours, truncation works, smooth walks, fast.
Exit code 0 when every limit passes, 1 when one fails, 2 when the model cannot be measured.
It takes about 15 minutes on 2 cores at 256 px (most of it rendering the 2,000 real images).
"""


def configure_train(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation train rainbow``."""
    parser.add_argument(
        "--images",
        type=Path,
        metavar="DIR",
        help="train the StyleGAN2-style generator on a folder of rainbow photos (whose "
        "scene parameters nobody knows) instead of the scene generator on the renderer",
    )
    add_run_options(parser, "rainbow")
    parser.add_argument(
        "--iterations",
        type=positive_int,
        metavar="N",
        help="training iterations (scene generator: steps of its scene prior)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=2,
        metavar="N",
        help="torch CPU threads (default: 2)",
    )
    parser.add_argument(
        "--resolution",
        type=int,
        metavar="N",
        help="image size (default 256 for the scene generator; photos: a power of two, "
        "default 128, 256 or more on a GPU)",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where to train (default: cpu)",
    )


def run_train(args: argparse.Namespace) -> int:
    """Train (or resume) the rainbow generator; prints where the checkpoint and samples are."""
    # OpenMP threads that spin while waiting collapse when another process holds one of the
    # cores (13 s instead of 1.4 s per iteration measured on 2 cores); passive waiting degrades
    # gracefully. Only effective before torch is first imported in this process.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    require_torch("the rainbow generator")
    from installation.training.rainbow.scene.export import is_scene_checkpoint

    previous = Path(args.out) / "checkpoint.pt"
    photo_run = args.resume and previous.is_file() and not is_scene_checkpoint(previous)
    if args.images is None and not photo_run:
        return _train_scene_generator(args)
    from installation.training.rainbow.stylegan.train import RainbowTrainConfig, RainbowTrainer

    config = RainbowTrainConfig.quick() if args.quick else RainbowTrainConfig()
    config = replace(config, threads=args.threads, seed=args.seed, device=args.device)
    if args.images is not None:  # (a resumed photo run keeps its checkpoint's folder)
        config = replace(config, images=str(args.images))
    if args.iterations is not None:
        config = replace(config, iterations=args.iterations)
    if args.resolution is not None:
        config = replace(config, resolution=args.resolution)
    if args.device == "cuda":
        # The CPU time budget does not apply on a GPU.
        config = replace(config, time_budget_minutes=None)
    checkpoint = RainbowTrainer(config, args.out, resume=args.resume).train()
    report_trained(checkpoint, "sample grids", args.out, "rainbow")
    return 0


def _train_scene_generator(args: argparse.Namespace) -> int:
    from installation.training.rainbow.scene.train import SceneTrainConfig, SceneTrainer

    config = SceneTrainConfig.quick() if args.quick else SceneTrainConfig()
    config = replace(config, threads=args.threads, seed=args.seed)
    if args.iterations is not None:
        config = replace(config, prior_steps=args.iterations)
    if args.resolution is not None:
        config = replace(config, resolution=args.resolution)
    # The scene generator trains small networks on scene parameters: a GPU would not help.
    checkpoint = SceneTrainer(config, args.out, resume=args.resume).train()
    report_trained(checkpoint, "sample grids", args.out, "rainbow")
    return 0


def configure_export(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation export rainbow``."""
    add_export_options(parser, "rainbow", Path("exported_models/rainbow.onnx"))
    parser.add_argument(
        "--latent-smoothing",
        type=non_negative_float,
        default=None,
        metavar="SIGMA",
        help="photo-trained generator only: average the mapping over fixed offsets of this "
        "size around each normalised z, "
        "so walks cross the model's jumps between layouts in several frames (0 = off; "
        "default: the value the shipped model uses, see docs/rainbow.md)",
    )


def run_export(args: argparse.Namespace) -> int:
    """Export a checkpoint to an ONNX file that follows the generator contract."""
    require_torch("the rainbow generator")
    from installation.training.rainbow.scene.export import (
        export_scene_checkpoint,
        is_scene_checkpoint,
    )

    if is_scene_checkpoint(args.checkpoint):
        if args.latent_smoothing is not None:
            raise TrainingError(
                "--latent-smoothing applies to the photo-trained (StyleGAN2-style) generator; "
                f"{args.checkpoint} is a scene generator, whose walks are smooth without it."
            )
        path, size, resolution, diff = export_scene_checkpoint(args.checkpoint, args.output)
        print(
            f"wrote {path} ({size / 1e6:.1f} MB, {resolution}x{resolution}); onnxruntime "
            f"matches torch (image within {diff} level{'' if diff == 1 else 's'})"
        )
        return 0
    from installation.training.rainbow.stylegan.export import (
        DEFAULT_LATENT_SMOOTHING,
        export_rainbow,
    )

    sigma = DEFAULT_LATENT_SMOOTHING if args.latent_smoothing is None else args.latent_smoothing
    report = export_rainbow(args.checkpoint, args.output, sigma)
    print(
        f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB, "
        f"{report.resolution}x{report.resolution}); onnxruntime matches torch "
        f"(image within {report.image_max_abs_diff} levels); latent smoothing {sigma:g}"
    )
    return 0


def configure_measure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``installation measure rainbow``."""
    parser.description = MEASURE_DESCRIPTION
    add_measure_options(
        parser,
        "rainbow generator",
        "rainbow_samples.png, rainbow_truncation.png, rainbow_walk.png, rainbow_data_grid.png",
    )
    add_count_options(
        parser,
        [
            ("--colour-samples", 1000, "samples at psi 0.8 for the colour measure"),
            ("--truncation-samples", 256, "samples per psi for the truncation measure"),
            ("--walks", 30, "slerp walks (and up to 10 linear ones)"),
            ("--walk-steps", 120, "steps per walk"),
            ("--real-images", 1000, "held-out renderer images per set (two sets)"),
        ],
    )


def run_measure(args: argparse.Namespace) -> int:
    """Measure an exported rainbow generator; 0 when every limit passes, 1 when one fails."""
    from installation.training.common.report import measure_and_report
    from installation.training.rainbow.metrics import format_report, measure, write_figures

    return measure_and_report(
        args,
        write_figures,
        lambda: measure(
            args.model_file,
            args.colour_samples,
            args.truncation_samples,
            args.walks,
            args.walk_steps,
            args.real_images,
        ),
        format_report,
    )


COMMANDS = ModelCommands(
    name="rainbow",
    help="the rainbow generator (scene generator; StyleGAN2-style from photos)",
    train=Command(configure_train, run_train),
    export=Command(configure_export, run_export),
    measure=Command(configure_measure, run_measure),
)
