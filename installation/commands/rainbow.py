"""``installation rainbow``: one rainbow from the command line, or a gallery image re-rendered.

The latent for ``--seed N`` is the one the rainbow scene uses for the same seed, and
``--from FILE.json`` reads a gallery record (its exact z and truncation), so any revealed
rainbow can be rendered again, bit for bit on the same model and provider.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from installation.commands.common import SubParsers
from installation.errors import InstallationError

DEFAULT_MODEL = Path("exported_models/rainbow.onnx")
log = logging.getLogger(__name__)


def register(sub: SubParsers) -> None:
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
    rainbow.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="generator ONNX")
    rainbow.add_argument("--output", "-o", type=Path, required=True, help="PNG to write")
    rainbow.set_defaults(handler=rainbow_command)


def rainbow_command(args: argparse.Namespace) -> int:
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


@dataclass(frozen=True)
class StillRequest:
    output: Path
    model: Path = DEFAULT_MODEL
    seed: int = 0
    truncation: float = 0.8
    from_record: Path | None = None


def _from_record(path: Path, latent_size: int) -> tuple[np.ndarray, float, int, str | None]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        z = np.asarray(record["z"], dtype=np.float32)
        truncation = float(record["truncation"])
        seed = int(record.get("seed", -1))
    except FileNotFoundError:
        raise InstallationError(f"Gallery record {path} does not exist.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InstallationError(
            f"{path} is not a gallery record (needs z, truncation): {exc}. Use a .json file that "
            "the gallery wrote next to a PNG."
        ) from None
    if z.shape != (latent_size,):
        raise InstallationError(
            f"{path} holds a z of {z.size} numbers but the model takes {latent_size}."
        )
    return z, truncation, seed, record.get("model_sha256")


def render_still(request: StillRequest) -> Path:
    """Generate the image, write PNG + JSON; returns the PNG path."""
    from PIL import Image as PILImage

    from installation.events import ImageRevealed
    from installation.models.onnx_runtime import load_model
    from installation.outputs.gallery import file_sha256, record_for
    from installation.scenes.rainbow import generate, rainbow_latent

    if not 0.0 <= request.truncation <= 1.0:
        raise InstallationError(f"--truncation must be between 0 and 1 (got {request.truncation}).")
    threads = max(1, (os.cpu_count() or 2) - 1)
    model = load_model("rainbow", request.model, "generator", threads=threads)
    if request.from_record is not None:
        z, truncation, seed, digest = _from_record(request.from_record, model.spec.latent_size)
        if digest and digest != file_sha256(request.model):
            log.warning(
                "%s was made with another model file; the image will differ", request.from_record
            )
    else:
        z = rainbow_latent(request.seed, model.spec.latent_size)
        truncation, seed = request.truncation, request.seed
    image = generate(model, z, truncation)
    output = request.output if request.output.suffix else request.output.with_suffix(".png")
    output.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(image).save(output)
    event = ImageRevealed(
        image=image,
        z=z,
        truncation=truncation,
        seed=seed,
        model_name="rainbow",
        model_path=request.model,
        scene="command line",
        trigger="installation rainbow",
        trigger_to_frame_ms=0.0,
    )
    record = record_for(event, output.name)
    output.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    log.info(
        "wrote %s (%dx%d, seed %d, psi %.2f) and its .json",
        output,
        image.shape[1],
        image.shape[0],
        seed,
        truncation,
    )
    return output
