"""Report plumbing of the measures: pass/fail marks, printing, the JSON file, the exit code."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import Field, asdict
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar


class PassFailReport(Protocol):
    """A measures report: a dataclass whose ``passes`` says which limits the model meets."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    passes: dict[str, bool]


Report = TypeVar("Report", bound=PassFailReport)


def mark(ok: bool) -> str:
    """The tag in front of a measure's line."""
    return "PASS" if ok else "FAIL"


def finish_report(report: PassFailReport, text: str, out: Path | None) -> int:
    """Print ``text``, write ``report`` as JSON to ``out`` (if given); 0 when every limit
    passes, 1 when one fails."""
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(asdict(report), indent=2))
    return 0 if all(report.passes.values()) else 1


def measure_and_report(
    args: argparse.Namespace,
    write_figures: Callable[[Path, Path], list[Path]],
    measure: Callable[[], Report],
    format_report: Callable[[Report], str],
) -> int:
    """What ``installation measure MODEL`` does once its options are parsed: the figures when
    ``--figures DIR`` asks for them, the measures, the printed report and ``--out JSON``."""
    if args.figures:
        for path in write_figures(args.model_file, args.figures):
            print(f"wrote {path}")
    report = measure()
    return finish_report(report, format_report(report), args.out)
