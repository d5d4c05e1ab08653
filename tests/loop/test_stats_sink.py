from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from installation.events import ImageRevealed, SceneChanged
from installation.loop.stats import RunStats
from installation.loop.stats_sink import StatsSink


def revealed(trigger_at: float | None) -> ImageRevealed:
    return ImageRevealed(
        image=np.zeros((2, 2, 3), np.uint8),
        z=np.zeros(4, np.float32),
        truncation=0.8,
        seed=1,
        model_name="m",
        model_path=Path("m.onnx"),
        scene="rainbow",
        trigger="osc",
        trigger_to_frame_ms=12.0,
        trigger_at=trigger_at,
    )


def test_trigger_to_frame_runs_to_the_present_of_the_frame_that_shows_it() -> None:
    stats = RunStats(30)
    sink = StatsSink(stats)
    sink.handle(revealed(trigger_at=100.0))
    assert "trigger_to_frame" not in stats.as_dict()["timings_ms"]  # not yet presented
    sink.presented(100.045)
    sink.presented(100.080)  # a later frame does not count again
    timing = stats.as_dict()["timings_ms"]["trigger_to_frame"]
    assert timing["count"] == 1 and timing["p50"] == pytest.approx(45.0, abs=0.01)
    sink.handle(revealed(trigger_at=None))  # no trigger time: the scene's own figure
    assert stats.as_dict()["timings_ms"]["trigger_to_frame"]["count"] == 2


def test_scene_switches_and_reveals_are_counted() -> None:
    stats = RunStats(30)
    sink = StatsSink(stats)
    sink.handle(SceneChanged("b", "a"))
    sink.handle(revealed(trigger_at=None))
    assert stats.counters() == {"scene_switches": 1, "images_revealed": 1}


def test_games_are_counted_by_outcome() -> None:
    from installation.events import GameFinished, GameStarted

    stats = RunStats(30)
    sink = StatsSink(stats)
    sink.handle(GameStarted("game", "gamepad 0"))
    for finished in (
        GameFinished("game", "O", 6, "agent"),
        GameFinished("game", "X", 7, "player"),
        GameFinished("game", "", 9, "draw"),
        GameFinished("game", "", 9, "", attract=True),
        GameFinished("external", "Team blue", 0),
    ):
        sink.handle(finished)
    counters = stats.counters()
    assert counters == {
        "games_started": 1, "games_finished": 5, "agent_wins": 1, "agent_losses": 1, "draws": 2,
    }  # fmt: skip
