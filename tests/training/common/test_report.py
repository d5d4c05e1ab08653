"""Report plumbing of the measures and the latency helper."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from installation.training.common.latency import latency_ms
from installation.training.common.report import finish_report, mark


@dataclass
class _Report:
    model: str
    score: float
    passes: dict[str, bool] = field(default_factory=dict)


def test_exit_code_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deep" / "report.json"
    assert finish_report(_Report("m.onnx", 1.5, {"a": True, "b": True}), "all good", out) == 0
    assert capsys.readouterr().out == "all good\n"
    assert json.loads(out.read_text()) == {
        "model": "m.onnx",
        "score": 1.5,
        "passes": {"a": True, "b": True},
    }
    assert finish_report(_Report("m.onnx", 9.0, {"a": True, "b": False}), "one fails", None) == 1
    assert [mark(True), mark(False)] == ["PASS", "FAIL"]


def test_latency_times_each_run_after_the_warm_up() -> None:
    calls: list[int] = []
    figures = latency_ms(lambda: calls.append(1), warmup=3, runs=10)
    assert len(calls) == 13
    assert set(figures) == {"median", "p90", "p99"}
    assert 0.0 <= figures["median"] <= figures["p90"] <= figures["p99"]
