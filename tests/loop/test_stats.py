from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from installation.loop.stats import RunStats, percentiles
from installation.models.latency import ModelStats

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
