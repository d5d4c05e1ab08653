from __future__ import annotations

import json
import math
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from installation.loop.stats import RunStats, percentiles
from installation.models.latency import (
    HIGH_MS,
    LOW_MS,
    RECENT_VALUES,
    RELATIVE_ERROR,
    LatencyHistogram,
    ModelStats,
)

SCHEMA_KEYS = {
    "fps_target",
    "frames",
    "duration_s",
    "frame_interval_ms",
    "late_frames",
    "on_time_ratio",
    "models",
    "counters",
}


def test_percentiles_of_known_values() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 .. 100
    result = percentiles(values)
    assert set(result) == {"p50", "p95", "p99", "max"}
    assert result["p50"] == pytest.approx(50.5)
    assert result["p95"] == pytest.approx(95.05)
    assert result["p99"] == pytest.approx(99.01)
    assert result["max"] == 100.0


def test_percentiles_with_other_points_and_no_values() -> None:
    assert set(percentiles([3.0, 1.0], (50, 99))) == {"p50", "p99", "max"}
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}


def test_late_frames_are_those_over_one_and_a_half_budgets() -> None:
    stats = RunStats(fps_target=25.0)  # budget 40 ms, late above 60 ms
    assert stats.budget_ms == pytest.approx(40.0)
    stats.frame(None, 1.0)  # the first frame has no interval
    for interval in (40.0, 59.9, 60.0, 60.1, 80.0, 20.0):
        stats.frame(interval, 1.0)
    assert stats.frames == 7
    assert stats.frame_intervals_ms == [40.0, 59.9, 60.0, 60.1, 80.0, 20.0]
    assert stats.late_frames == 2  # 60.1 and 80; exactly 1.5 budgets is on time


def test_on_time_ratio() -> None:
    stats = RunStats(fps_target=25.0)
    for interval in [40.0] * 6 + [100.0] * 2:
        stats.frame(interval, 0.5)
    assert stats.as_dict()["on_time_ratio"] == pytest.approx(0.75)
    assert stats.as_dict()["late_frames"] == 2


def test_on_time_ratio_without_intervals_is_zero() -> None:
    stats = RunStats(fps_target=30.0)
    stats.frame(None, 0.5)
    assert stats.as_dict()["on_time_ratio"] == 0.0
    assert stats.as_dict()["frames"] == 1


def test_frame_interval_percentiles_in_the_dict() -> None:
    stats = RunStats(fps_target=30.0)
    for interval in [33.0] * 98 + [50.0, 70.0]:
        stats.frame(interval, 2.0)
    figures = stats.as_dict()["frame_interval_ms"]
    assert figures["p50"] == pytest.approx(33.0)
    assert figures["max"] == pytest.approx(70.0)
    assert figures["p95"] == pytest.approx(33.0)
    assert 50.0 <= figures["p99"] <= 70.0


def test_counters_from_several_threads_add_up() -> None:
    stats = RunStats(fps_target=30.0)
    start = threading.Barrier(4)

    def work(name: str) -> None:
        start.wait()
        for _ in range(5000):
            stats.count("shared")
            stats.count(name, 2)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    counters = stats.counters()
    assert counters["shared"] == 20000
    assert all(counters[f"t{i}"] == 10000 for i in range(4))


def test_counters_are_a_copy() -> None:
    stats = RunStats(fps_target=30.0)
    stats.count("osc_messages")
    copy = stats.counters()
    copy["osc_messages"] = 99
    assert stats.counters() == {"osc_messages": 1}


def test_models_summary() -> None:
    stats = RunStats(fps_target=30.0)
    lava = ModelStats(provider="CPUExecutionProvider")
    for ms in (1.0, 2.0, 3.0, 4.0, 100.0):
        lava.record(ms)
    stats.models = {"lava": lava, "idle": ModelStats(provider="CUDAExecutionProvider")}
    models = stats.as_dict()["models"]
    assert models["lava"]["provider"] == "CPUExecutionProvider"
    assert models["lava"]["runs"] == 5
    assert models["lava"]["latency_ms"]["p50"] == pytest.approx(3.0)
    assert 4.0 < models["lava"]["latency_ms"]["p99"] <= 100.0
    assert set(models["lava"]["latency_ms"]) == {"p50", "p99"}
    assert models["idle"] == {
        "provider": "CUDAExecutionProvider",
        "runs": 0,
        "latency_ms": {"p50": 0.0, "p99": 0.0},
    }


def test_written_json_has_every_schema_key(tmp_path: Path) -> None:
    stats = RunStats(fps_target=30.0)
    stats.frame(None, 1.0)
    for _ in range(59):
        stats.frame(33.3, 1.0)
    stats.duration_s = 2.0
    model = ModelStats(provider="CPUExecutionProvider")
    model.record(1.5)
    stats.models = {"lava": model}
    stats.count("osc_messages", 3)
    path = tmp_path / "nested" / "stats.json"
    stats.write(path)

    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) >= SCHEMA_KEYS
    assert data["fps_target"] == 30.0
    assert data["frames"] == 60
    assert data["duration_s"] == 2.0
    assert set(data["frame_interval_ms"]) >= {"p50", "p95", "p99", "max"}
    assert data["frame_interval_ms"]["p50"] == pytest.approx(33.3)
    assert data["late_frames"] == 0
    assert data["on_time_ratio"] == 1.0
    assert set(data["models"]["lava"]) >= {"provider", "runs", "latency_ms"}
    assert set(data["models"]["lava"]["latency_ms"]) >= {"p50", "p99"}
    assert data["models"]["lava"]["runs"] == 1
    assert data["counters"] == {"osc_messages": 3}
    assert isinstance(data["counters"]["osc_messages"], int)
    assert data["fps_measured"] == pytest.approx(30.0)


def test_empty_run_still_writes_a_complete_document(tmp_path: Path) -> None:
    path = tmp_path / "stats.json"
    RunStats(fps_target=60.0).write(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) >= SCHEMA_KEYS
    assert data["frames"] == 0
    assert data["models"] == {}
    assert data["counters"] == {}
    assert data["frame_interval_ms"]["max"] == 0.0


# Fixed-size histograms ------------------------------------------------------------------

POINTS = (0, 1, 5, 25, 50, 75, 95, 99, 99.9, 100)


def histogram_of(values: np.ndarray) -> LatencyHistogram:
    histogram = LatencyHistogram()
    for value in values.tolist():
        histogram.record(value)
    return histogram


def assert_like_numpy(histogram: LatencyHistogram, values: np.ndarray) -> None:
    got = np.array(histogram.quantiles(POINTS))
    want = np.percentile(values, POINTS)
    # Each order statistic is read from its bin: off by at most RELATIVE_ERROR of itself.
    np.testing.assert_allclose(got, want, rtol=RELATIVE_ERROR * 1.0001, atol=0.0)


@pytest.mark.parametrize(
    "name",
    ["frame intervals", "lognormal latencies", "exponential", "uniform", "two modes"],
)
def test_quantiles_match_numpy_on_known_distributions(name: str) -> None:
    rng = np.random.default_rng(7)
    values = {
        "frame intervals": 1000.0 / 30 + rng.normal(0.0, 0.7, 100_000),
        "lognormal latencies": rng.lognormal(1.0, 1.2, 50_000),
        "exponential": rng.exponential(4.0, 50_000),
        "uniform": rng.uniform(0.002, 90_000.0, 50_000),
        "two modes": np.concatenate([rng.normal(33.3, 0.2, 30_000), rng.normal(66.7, 0.2, 300)]),
    }[name]
    assert_like_numpy(histogram_of(values), values)


@pytest.mark.parametrize(
    "values",
    [[5.0], [3.0, 1.0], [21.0, 30.2, 30.5], [1.0, 2.0, 3.0, 4.0, 100.0], [0.5] * 7 + [9.0]],
)
def test_small_samples_interpolate_like_numpy(values: list[float]) -> None:
    data = np.array(values)
    assert_like_numpy(histogram_of(data), data)


def test_reported_figures_near_a_frame_budget_are_within_a_thousandth_of_a_millisecond() -> None:
    values = 1000.0 / 30 + np.random.default_rng(3).normal(0.0, 0.5, 20_000)
    got = histogram_of(values).quantiles((50, 95, 99))
    assert np.max(np.abs(np.array(got) - np.percentile(values, (50, 95, 99)))) < 0.001


def test_repeated_values_and_the_ends_are_exact() -> None:
    histogram = histogram_of(np.array([33.333] * 5000))
    assert histogram.quantiles((0, 50, 99, 100)) == [33.333] * 4
    rng = np.random.default_rng(11)
    values = rng.lognormal(2.0, 1.0, 10_000)
    histogram = histogram_of(values)
    assert histogram.count == 10_000
    assert histogram.min == values.min()
    assert histogram.max == values.max()
    assert histogram.quantiles((0, 100)) == [values.min(), values.max()]


def test_values_outside_the_binned_range_are_counted() -> None:
    values = [0.0, -1.0, LOW_MS / 2, 1.0, 2.0, HIGH_MS, HIGH_MS * 30] * 300
    histogram = LatencyHistogram()
    for value in values:
        histogram.record(value)
    assert histogram.count == len(values) > RECENT_VALUES
    assert histogram.min == -1.0
    assert histogram.max == HIGH_MS * 30
    low, middle, high = histogram.quantiles((0, 50, 100))
    assert (low, high) == (-1.0, HIGH_MS * 30)  # the ends are exact
    assert middle == pytest.approx(1.0, rel=RELATIVE_ERROR)
    # Under LOW_MS values read as 0 (within 1 us), from HIGH_MS up as the maximum.
    assert histogram.quantiles((20,)) == [0.0]
    assert histogram.quantiles((90,)) == [HIGH_MS * 30]


def test_small_samples_are_exact_then_binned_within_the_error() -> None:
    values = np.random.default_rng(2).normal(30.0, 5.0, RECENT_VALUES + 1)
    histogram = histogram_of(values[:RECENT_VALUES])
    assert histogram.quantiles(POINTS) == list(np.percentile(values[:RECENT_VALUES], POINTS))
    histogram.record(float(values[-1]))  # one value fewer than the run is now at hand
    assert histogram.recent() == list(values[1:])
    assert_like_numpy(histogram, values)


def test_an_empty_histogram_reports_zeros() -> None:
    histogram = LatencyHistogram()
    assert histogram.quantiles((50, 99)) == [0.0, 0.0]
    assert histogram.count == 0


def test_histogram_size_does_not_change_with_records() -> None:
    histogram = LatencyHistogram()
    before = histogram.nbytes
    assert before < 4 * 1024 * 1024
    values = (1000.0 / 30 + np.random.default_rng(5).normal(0.0, 2.0, 1_000_000)).tolist()
    for value in values:
        histogram.record(value)
    assert histogram.count == 1_000_000
    assert histogram.nbytes == before


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_run_stats_memory_stays_constant_as_frames_grow(traced: None) -> None:
    stats = RunStats(fps_target=240.0)
    lava = ModelStats(provider="CPUExecutionProvider")
    stats.models = {"lava": lava}
    rng = np.random.default_rng(9)
    intervals = (1000.0 / 240 + rng.normal(0.0, 0.3, 4096)).tolist()
    cpu = rng.uniform(0.2, 3.0, 4096).tolist()

    def run_frames(count: int) -> None:
        for i in range(count):
            stats.frame(intervals[i % 4096], cpu[i % 4096])
            lava.record(cpu[i % 4096])
            stats.time("trigger_to_frame", intervals[i % 4096])
            stats.count("frames_seen")

    run_frames(2 * RECENT_VALUES)  # the recent windows fill up
    settled = tracemalloc.get_traced_memory()[0]
    run_frames(200_000)
    grown = tracemalloc.get_traced_memory()[0] - settled
    assert stats.frames == 200_000 + 2 * RECENT_VALUES
    assert grown < 16 * 1024  # a few stray objects at most, never per-frame storage
    assert len(stats.frame_intervals_ms) == RECENT_VALUES
    assert len(lava.latencies_ms) == RECENT_VALUES


# Exact counts -------------------------------------------------------------------------


def test_late_frames_are_an_exact_count_at_the_limit() -> None:
    stats = RunStats(fps_target=30.0)  # budget 33.33 ms, late above 1.5 budgets
    limit = 1.5 * (1000.0 / 30.0)
    on_time = [limit, math.nextafter(limit, 0.0), 33.3, 49.99999]
    late = [math.nextafter(limit, math.inf), 50.001, 66.7, 1e6]
    for _ in range(10_000):
        for interval in on_time:
            stats.frame(interval, 1.0)
    for interval in late:
        stats.frame(interval, 1.0)
    figures = stats.as_dict()
    assert stats.late_frames == len(late) == figures["late_frames"]
    assert figures["frames"] == 40_000 + len(late)
    assert figures["frame_interval_ms"]["max"] == 1e6
    assert figures["on_time_ratio"] == round(1.0 - len(late) / (40_000 + len(late)), 5)


def test_frame_maximum_is_exact_to_the_reported_decimals() -> None:
    stats = RunStats(fps_target=30.0)
    for interval in [33.333] * 500 + [38.217] + [33.4] * 500:
        stats.frame(interval, 0.8)
    figures = stats.as_dict()
    assert figures["frame_interval_ms"]["max"] == 38.217
    assert figures["loop_cpu_ms"] == {"p50": 0.8, "p95": 0.8, "p99": 0.8, "max": 0.8}


def test_recent_windows_keep_the_latest_values_only() -> None:
    stats = RunStats(fps_target=30.0)
    model = ModelStats(provider="CPUExecutionProvider")
    for i in range(RECENT_VALUES + 10):
        stats.frame(float(i), float(i) / 10)
        model.record(float(i))
    assert stats.frame_intervals_ms == [float(i) for i in range(10, RECENT_VALUES + 10)]
    assert stats.loop_cpu_ms[-1] == (RECENT_VALUES + 9) / 10
    assert model.latencies_ms[0] == 10.0
    assert model.runs == RECENT_VALUES + 10
    stats_dict = stats.as_dict()
    assert stats_dict["frame_interval_ms"]["max"] == RECENT_VALUES + 9  # whole run, not recent


def test_reset_forgets_warm_up_runs() -> None:
    model = ModelStats(provider="CPUExecutionProvider")
    for ms in (50.0, 40.0, 30.0):
        model.record(ms)
    model.reset()
    assert model.latencies_ms == []
    assert model.summary() == (0, [0.0, 0.0])
    model.record(2.0)
    assert model.summary() == (1, [2.0, 2.0])


# Threads ------------------------------------------------------------------------------


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    """Switch threads as often as possible, so an unlocked read-modify-write would lose runs."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_model_latencies_from_several_threads_are_all_counted(
    eager_thread_switching: None,
) -> None:
    model = ModelStats(provider="CPUExecutionProvider")
    runs = 20_000
    start = threading.Barrier(4)

    def work(milliseconds: float) -> None:
        start.wait()
        for _ in range(runs):
            model.record(milliseconds)

    threads = [threading.Thread(target=work, args=(float(i + 1),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    count, quantiles = model.summary((10, 25, 50, 75, 90))
    assert count == 4 * runs
    expected = np.percentile(np.repeat([1.0, 2.0, 3.0, 4.0], runs), (10, 25, 50, 75, 90))
    np.testing.assert_allclose(quantiles, expected, rtol=RELATIVE_ERROR)


def test_timings_from_several_threads_are_all_counted(eager_thread_switching: None) -> None:
    stats = RunStats(fps_target=30.0)
    start = threading.Barrier(3)

    def work(name: str) -> None:
        start.wait()
        for i in range(5000):
            stats.time("shared", float(i % 7 + 1))
            stats.time(name, 2.0)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    timings = stats.as_dict()["timings_ms"]
    assert timings["shared"]["count"] == 15_000
    assert timings["shared"]["max"] == 7.0
    assert all(
        timings[f"t{i}"] == {"count": 5000, "p50": 2.0, "p99": 2.0, "max": 2.0} for i in range(3)
    )


# The document -------------------------------------------------------------------------


def test_the_document_has_exactly_the_documented_shape() -> None:
    stats = RunStats(fps_target=30.0)
    stats.frame(None, 1.0)
    for _ in range(29):
        stats.frame(1000.0 / 30, 1.25)
    stats.duration_s = 1.0
    lava = ModelStats(provider="CPUExecutionProvider")
    lava.record(0.5)
    stats.models = {"lava": lava}
    stats.count("images_revealed", 3)
    for ms in (21.0, 30.2, 30.5):
        stats.time("trigger_to_frame", ms)
    data = json.loads(json.dumps(stats.as_dict()))
    assert list(data) == [
        "fps_target",
        "frames",
        "duration_s",
        "fps_measured",
        "frame_interval_ms",
        "late_frames",
        "on_time_ratio",
        "loop_cpu_ms",
        "models",
        "counters",
        "timings_ms",
    ]
    assert data["frame_interval_ms"] == {"p50": 33.333, "p95": 33.333, "p99": 33.333, "max": 33.333}
    assert data["loop_cpu_ms"] == {"p50": 1.25, "p95": 1.25, "p99": 1.25, "max": 1.25}
    assert data["fps_measured"] == 30.0
    assert data["models"] == {
        "lava": {
            "provider": "CPUExecutionProvider",
            "runs": 1,
            "latency_ms": {"p50": 0.5, "p99": 0.5},
        }
    }
    assert data["counters"] == {"images_revealed": 3}
    expected = percentiles([21.0, 30.2, 30.5], (50, 99))
    assert data["timings_ms"] == {"trigger_to_frame": {"count": 3} | expected}
