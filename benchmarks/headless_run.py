"""Shared by the benchmark scripts: one headless show run in a subprocess, medians of figures."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def steal_seconds() -> float:
    """CPU time the hypervisor took from this virtual machine so far (Linux; 0 elsewhere).

    A virtual machine's cores can be taken away for milliseconds at a time; a frame that is
    late while the loop used little CPU is explained by this figure, not by the show.
    """
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return int(fields[8]) / ticks if len(fields) > 8 else 0.0


def run_headless(show: Path, seconds: float, stats_path: Path) -> dict[str, Any]:
    """``installation run SHOW --headless --seconds S --stats PATH``, as a user would; its stats.

    The result also holds ``steal_ms``: CPU time the hypervisor took during the run.
    """
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    command = [sys.executable, "-m", "installation", "--quiet", "run", str(show), "--headless",
               "--seconds", str(seconds), "--stats", str(stats_path)]  # fmt: skip
    stolen = steal_seconds()
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    result: dict[str, Any] = json.loads(stats_path.read_text())
    result["steal_ms"] = round((steal_seconds() - stolen) * 1000.0, 1)
    return result


def median_of(runs: list[dict[str, Any]], *keys: str) -> float:
    """Median over runs of the figure at ``keys`` (NaN where a run lacks it)."""
    values = []
    for stats in runs:
        value: Any = stats
        for key in keys:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        values.append(float(value) if isinstance(value, int | float) else float("nan"))
    return statistics.median(values)
