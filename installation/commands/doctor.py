"""``installation doctor [SHOW]``: is this machine ready to run the show? (see doctor_checks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from installation.commands.common import DEFAULT_SHOW, SubParsers


def register(sub: SubParsers) -> None:
    doctor = sub.add_parser("doctor", help="check this machine: versions, providers, models")
    doctor.add_argument("show", nargs="?", type=Path, default=DEFAULT_SHOW, help="show to check")
    doctor.add_argument(
        "--online",
        action="store_true",
        help="also ask each posting target's service whether "
        "its credentials work (one request each; Bluesky reuses the saved session)",
    )
    doctor.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    from installation.commands.doctor_checks import run_doctor

    return run_doctor(args.show, args.online)
