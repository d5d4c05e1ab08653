"""Fixed-size duration histograms, and per-model run statistics built on them.

A show runs unattended for weeks, so its figures must not grow with the number of frames or
model runs. ``LatencyHistogram`` counts milliseconds in fixed log-spaced bins (one numpy array of
about 3 MB, allocated once: 1 us to 100 s, each bin 0.005 % wider than the last) and keeps the
count, minimum and maximum exactly, plus the latest ``RECENT_VALUES`` values. Its quantiles
follow ``numpy.percentile``'s default ("linear") definition: while every value is still among
the latest ones they are numpy's own (so a few reveals' trigger-to-frame times read exactly as
before); after that each order statistic is read from its bin, within ``RELATIVE_ERROR``
(0.0025 %: under 0.001 ms at 33.33 ms) of numpy's figure on the raw values, and exact at the ends.

Why not a library: ``ddsketch`` (Datadog, maintained) costs about 0.5 us a record here and has
the same relative-error bins, but returns the bin of the rank-th value without interpolating,
which changes the p50/p99 of the small samples we report, and its store widens with the range
of values seen. ``hdrhistogram`` records integers only and costs about 1 us a record in its
pure-Python ``record_value``. This class is a few dozen lines, costs about 0.3 us a record (a
log, an int, an increment through a memoryview, a deque append) and keeps numpy's definition,
so the stats JSON means what it meant.

Memory: the bins are allocated zeroed and the system maps their pages on first write, so a
histogram's resident size grows, 4 KB (512 bins, 2.6 % of the value range) at a time, only where
values land, and never past ``nbytes``; a run's figures settle after a few minutes.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence

import numpy as np

LOW_MS = 1e-3
"""Smallest value with its own bins (1 us); smaller ones share a bin that reads as 0."""

HIGH_MS = 1e5
"""Values from here (100 s) up share one bin, reported as the max."""

BIN_GROWTH = 1.0 + 5e-5
"""Each bin is this many times wider than the one before it."""

RELATIVE_ERROR = (BIN_GROWTH - 1.0) / (BIN_GROWTH + 1.0)
"""Worst relative error of a value read from its bin (its representative against the value)."""

RECENT_VALUES = 1024
"""How many of the latest values a histogram also keeps: exact quantiles of small samples."""

_LOG_GROWTH = math.log(BIN_GROWTH)
_INV_LOG_GROWTH = 1.0 / _LOG_GROWTH
_OFFSET = math.log(LOW_MS) * _INV_LOG_GROWTH
_FINE_BINS = math.ceil(math.log(HIGH_MS / LOW_MS) * _INV_LOG_GROWTH)
BIN_COUNT = _FINE_BINS + 2
"""Bins of every histogram: one under ``LOW_MS``, the log-spaced ones, one from ``HIGH_MS`` up."""
_OVER = BIN_COUNT - 1


def _representatives() -> np.ndarray:
    """The value each bin stands for: the point of equal relative error to both its edges."""
    lower = LOW_MS * np.exp(np.arange(_FINE_BINS, dtype=np.float64) * _LOG_GROWTH)
    values = np.empty(BIN_COUNT, dtype=np.float64)
    values[0] = 0.0  # clamped up to the exact minimum when read
    values[1:-1] = lower * (2.0 * BIN_GROWTH / (1.0 + BIN_GROWTH))
    values[-1] = math.inf  # clamped down to the exact maximum when read
    return values


_REPRESENTATIVES = _representatives()


class LatencyHistogram:
    """Durations in milliseconds: fixed bins plus the latest values; quantiles like numpy's.

    Its size never changes (``nbytes``). While every value is still among the latest
    ``RECENT_VALUES``, quantiles are numpy's own on those values; after that they come from the
    bins. Not locked: one thread records, or the owner locks.
    """

    __slots__ = ("_bins", "_counts", "_recent", "count", "max", "min")

    def __init__(self) -> None:
        self._counts = np.zeros(BIN_COUNT, dtype=np.int64)
        self._bins = self._counts.data  # a memoryview: item updates through it are cheaper
        self._recent: deque[float] = deque(maxlen=RECENT_VALUES)
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    @property
    def nbytes(self) -> int:
        """Memory held by the bins (the same from the first record to the last)."""
        return int(self._counts.nbytes)

    def record(self, value: float) -> None:
        """Count one value (milliseconds). A NaN counts in the lowest bin."""
        if LOW_MS <= value < HIGH_MS:
            self._bins[1 + int(math.log(value) * _INV_LOG_GROWTH - _OFFSET)] += 1
        elif value >= HIGH_MS:
            self._bins[_OVER] += 1
        else:
            self._bins[0] += 1
        self._recent.append(value)
        self.count += 1
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value

    def recent(self) -> list[float]:
        """The latest values, oldest first: at most ``RECENT_VALUES`` of them."""
        return list(self._recent)

    def clear(self) -> None:
        self._counts[:] = 0
        self._recent.clear()
        self.count = 0
        self.min = math.inf
        self.max = -math.inf

    def quantiles(self, points: Sequence[float]) -> list[float]:
        """Percentiles (0..100) as ``numpy.percentile`` would give them; 0.0 each when empty."""
        if self.count == 0:
            return [0.0 for _ in points]
        if self.count == len(self._recent):  # every value is at hand: exact
            exact = np.percentile(np.array(self._recent), np.asarray(points, dtype=np.float64))
            return [float(v) for v in exact]
        last = self.count - 1
        positions = np.asarray(points, dtype=np.float64) / 100.0 * last
        below = np.floor(positions).astype(np.int64)
        above = np.minimum(below + 1, last)
        values = self._order_statistics(np.concatenate([below, above]))
        low, high = values[: len(below)], values[len(below) :]
        result = low + (positions - below) * (high - low)
        return [float(v) for v in result]

    def _order_statistics(self, ranks: np.ndarray) -> np.ndarray:
        """The ``ranks``-th smallest values (0-based), each read from the bin it fell in."""
        bins = np.searchsorted(np.cumsum(self._counts), ranks, side="right")
        values: np.ndarray = np.clip(_REPRESENTATIVES[bins], self.min, self.max)
        values[ranks == 0] = self.min
        values[ranks == self.count - 1] = self.max
        return values


class ModelStats:
    """What one model did: the provider it ran on and its runs' latencies in milliseconds.

    Runs are recorded by the model's worker thread (or several): ``record`` takes a lock.
    """

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._histogram = LatencyHistogram()
        self._lock = threading.Lock()

    def record(self, milliseconds: float) -> None:
        with self._lock:
            self._histogram.record(milliseconds)

    def reset(self) -> None:
        """Forget every run so far (after warm-up)."""
        with self._lock:
            self._histogram.clear()

    @property
    def runs(self) -> int:
        return self._histogram.count

    @property
    def latencies_ms(self) -> list[float]:
        """The latest runs' latencies, oldest first: at most ``RECENT_VALUES`` of them.

        Whole-run figures come from ``summary()``; this is for tests and quick checks.
        """
        with self._lock:
            return self._histogram.recent()

    def summary(self, points: Sequence[float] = (50, 99)) -> tuple[int, list[float]]:
        """The number of runs and their latency percentiles, read together."""
        with self._lock:
            return self._histogram.count, self._histogram.quantiles(points)
