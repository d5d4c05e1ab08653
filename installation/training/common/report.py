"""Report plumbing of the measures: pass/fail marks, printing, the JSON file, the exit code."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import Field, asdict
from pathlib import Path
from typing import Any, ClassVar, Protocol


class PassFailReport(Protocol):
    """A measures report: a dataclass whose ``passes`` says which limits the model meets."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    passes: dict[str, bool]


def mark(ok: bool) -> str:
    """The tag in front of a measure's line."""
    return "PASS" if ok else "FAIL"


def print_written(paths: Iterable[Path]) -> None:
    """Say which figure files were written."""
    for path in paths:
        print(f"wrote {path}")


def finish_report(report: PassFailReport, text: str, out: Path | None) -> int:
    """Print ``text``, write ``report`` as JSON to ``out`` (if given); 0 when every limit
    passes, 1 when one fails."""
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(asdict(report), indent=2))
    return 0 if all(report.passes.values()) else 1
