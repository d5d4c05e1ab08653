"""Run statistics: frame intervals, loop CPU time, counters, per-model latency.

Written as JSON by ``installation run --stats PATH`` (schema in DESIGN.md). Counters are
incremented from any thread; frame figures only from the main thread.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from installation.events import Event, EventSink, ImageRevealed
from installation.models.latency import ModelStats

LATE_FACTOR = 1.5
"""A frame is late when its interval exceeds this many frame budgets."""


def percentiles(values: Iterable[float], points: Iterable[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": ..., "p95": ..., "p99": ..., "max": ...}`` in the values' unit, rounded."""
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        return {f"p{p}": 0.0 for p in points} | {"max": 0.0}
    result = {f"p{p}": round(float(np.percentile(data, p)), 3) for p in points}
    result["max"] = round(float(data.max()), 3)
    return result


class RunStats:
    """Collects a run's figures and renders the stats JSON."""

    def __init__(self, fps_target: float) -> None:
        self.fps_target = fps_target
        self.budget_ms = 1000.0 / fps_target
        self.frame_intervals_ms: list[float] = []
        self.loop_cpu_ms: list[float] = []
        self.frames = 0
        self.duration_s = 0.0
        self.models: dict[str, ModelStats] = {}
        self.timings_ms: dict[str, list[float]] = {}
        self._counters: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] += amount

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def time(self, name: str, milliseconds: float) -> None:
        """Record one duration under ``name`` (e.g. trigger_to_frame)."""
        with self._lock:
            self.timings_ms.setdefault(name, []).append(milliseconds)

    def frame(self, interval_ms: float | None, loop_cpu_ms: float) -> None:
        self.frames += 1
        if interval_ms is not None:
            self.frame_intervals_ms.append(interval_ms)
        self.loop_cpu_ms.append(loop_cpu_ms)

    @property
    def late_frames(self) -> int:
        limit = LATE_FACTOR * self.budget_ms
        return sum(1 for interval in self.frame_intervals_ms if interval > limit)

    def as_dict(self) -> dict[str, Any]:
        intervals = len(self.frame_intervals_ms)
        on_time = 1.0 - self.late_frames / intervals if intervals else 0.0
        return {
            "fps_target": self.fps_target,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "fps_measured": round(self.frames / self.duration_s, 3) if self.duration_s else 0.0,
            "frame_interval_ms": percentiles(self.frame_intervals_ms),
            "late_frames": self.late_frames,
            "on_time_ratio": round(on_time, 5),
            "loop_cpu_ms": percentiles(self.loop_cpu_ms),
            "models": _models_dict(self.models),
            "counters": self.counters(),
            "timings_ms": {
                name: {"count": len(values)} | percentiles(values, (50, 99))
                for name, values in sorted(self.timings_ms.items())
            },
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")


def _models_dict(models: Mapping[str, ModelStats]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, stats in models.items():
        latencies = list(stats.latencies_ms)
        summary = percentiles(latencies, (50, 99))
        result[name] = {
            "provider": stats.provider,
            "runs": len(latencies),
            "latency_ms": {"p50": summary["p50"], "p99": summary["p99"]},
        }
    return result


class StatsSink(EventSink):
    """Turns show events into counters and timings."""

    def __init__(self, stats: RunStats) -> None:
        self.stats = stats

    def handle(self, event: Event) -> None:
        if isinstance(event, ImageRevealed):
            self.stats.count("images_revealed")
            self.stats.time("trigger_to_frame", event.trigger_to_frame_ms)
