"""Run statistics: frame intervals, loop CPU time, counters, timings, per-model latency.

Written as JSON by ``installation run --stats PATH`` (schema in DESIGN.md). Counters and timings
are recorded from any thread; frames from the main thread. Every figure lives in a fixed-size
structure (``LatencyHistogram``, see ``installation.models.latency`` for the design and why it
is not a library), so a run of weeks holds as much memory as a run of a minute: the frame and
late-frame counts and the maxima are exact, the percentiles within 0.0025 % of numpy's.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from installation.models.latency import LatencyHistogram, ModelStats

LATE_FACTOR = 1.5
"""A frame is late when its interval exceeds this many frame budgets."""


def percentiles(values: Iterable[float], points: Iterable[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": ..., "p95": ..., "p99": ..., "max": ...}`` of a list of values, exact, rounded.

    For a few values at hand (benchmarks, tests); a run's figures use fixed-size histograms.
    """
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        return {f"p{p}": 0.0 for p in points} | {"max": 0.0}
    result = {f"p{p}": round(float(np.percentile(data, p)), 3) for p in points}
    result["max"] = round(float(data.max()), 3)
    return result


class RunStats:
    """Collects a run's figures and renders the stats JSON. Its size does not grow with time."""

    def __init__(self, fps_target: float) -> None:
        self.fps_target = fps_target
        self.budget_ms = 1000.0 / fps_target
        self.late_limit_ms = LATE_FACTOR * self.budget_ms
        self.frames = 0
        self.duration_s = 0.0
        self.models: dict[str, ModelStats] = {}
        self._intervals = LatencyHistogram()
        self._loop_cpu = LatencyHistogram()
        self._late = 0
        self._timings: dict[str, LatencyHistogram] = {}
        self._counters: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] += amount

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def time(self, name: str, milliseconds: float) -> None:
        """Record one duration under ``name`` (e.g. trigger_to_frame).

        Each name gets its own histogram (about 3 MB of address space), so names must come from
        a fixed set, never from data (an OSC address, a file name).
        """
        with self._lock:
            histogram = self._timings.get(name)
            if histogram is None:
                histogram = self._timings[name] = LatencyHistogram()
            histogram.record(milliseconds)

    def frame(self, interval_ms: float | None, loop_cpu_ms: float) -> None:
        """Record one presented frame (main thread; about a microsecond)."""
        with self._lock:
            self.frames += 1
            if interval_ms is not None:
                self._intervals.record(interval_ms)
                if interval_ms > self.late_limit_ms:
                    self._late += 1
            self._loop_cpu.record(loop_cpu_ms)

    @property
    def late_frames(self) -> int:
        """Frame intervals over ``LATE_FACTOR`` budgets (exactly 1.5 budgets is on time)."""
        return self._late

    @property
    def frame_intervals_ms(self) -> list[float]:
        """The latest frame intervals, oldest first: at most ``RECENT_VALUES`` of them.

        For tests and quick checks; the run's figures come from the histograms in ``as_dict``.
        """
        with self._lock:
            return self._intervals.recent()

    @property
    def loop_cpu_ms(self) -> list[float]:
        """The latest frames' loop CPU times, oldest first: at most ``RECENT_VALUES``."""
        with self._lock:
            return self._loop_cpu.recent()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            intervals = self._intervals.count
            on_time = 1.0 - self._late / intervals if intervals else 0.0
            frame_figures = {
                "fps_target": self.fps_target,
                "frames": self.frames,
                "duration_s": round(self.duration_s, 3),
                "fps_measured": (
                    round(self.frames / self.duration_s, 3) if self.duration_s else 0.0
                ),
                "frame_interval_ms": _summary(self._intervals),
                "late_frames": self._late,
                "on_time_ratio": round(on_time, 5),
                "loop_cpu_ms": _summary(self._loop_cpu),
            }
            timings = {
                name: {"count": histogram.count} | _summary(histogram, (50, 99))
                for name, histogram in sorted(self._timings.items())
            }
        return frame_figures | {
            "models": _models_dict(self.models),
            "counters": self.counters(),
            "timings_ms": timings,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")


def _summary(histogram: LatencyHistogram, points: Iterable[int] = (50, 95, 99)) -> dict[str, float]:
    """``percentiles`` of a histogram: ``{"p50": ..., ..., "max": ...}``, rounded."""
    points = tuple(points)
    values = histogram.quantiles(points)
    result = {f"p{p}": round(v, 3) for p, v in zip(points, values, strict=True)}
    result["max"] = round(histogram.max, 3) if histogram.count else 0.0
    return result


def _models_dict(models: Mapping[str, ModelStats]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, stats in models.items():
        runs, (p50, p99) = stats.summary((50, 99))
        result[name] = {
            "provider": stats.provider,
            "runs": runs,
            "latency_ms": {"p50": round(p50, 3), "p99": round(p99, 3)},
        }
    return result
