"""``installation config-reference [--output FILE]``: the show config reference, from the schema.

Prints Markdown (docs/config.md is this command's output): every table of a show file, each
key with its type, default, allowed values and description (see ``installation.config.reference``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installation.commands.common import SubParsers


def register(sub: SubParsers) -> None:
    reference = sub.add_parser(
        "config-reference",
        help="print the show config reference (Markdown) made from the schema",
    )
    reference.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write it to FILE instead (docs/config.md is this command's output)",
    )
    reference.set_defaults(handler=config_reference_command)


def config_reference_command(args: argparse.Namespace) -> int:
    from installation.config.reference import reference_markdown
    from installation.scenes.registry import SCENE_SETTINGS

    text = reference_markdown(SCENE_SETTINGS)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
