"""Latency of one model run, as the measures report it: median, p90 and p99 in milliseconds."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def latency_ms(run: Callable[[], object], warmup: int, runs: int) -> dict[str, float]:
    """Call ``run`` ``warmup`` times untimed, then ``runs`` times timed one by one."""
    for _ in range(warmup):
        run()
    times = np.empty(runs)
    for i in range(runs):
        t0 = time.perf_counter()
        run()
        times[i] = time.perf_counter() - t0
    ms = times * 1000.0
    return {
        "median": float(np.median(ms)),
        "p90": float(np.percentile(ms, 90)),
        "p99": float(np.percentile(ms, 99)),
    }
