"""A whole live show, headless, in this process: inputs in, director, outputs out."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from installation.app import LiveWorkers, RunOptions, run_show
from installation.errors import ConfigError
from installation.events import QuitRequested, SetParameter, Trigger
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.fakes import FakeInputSource, FakePolledSource

TWO_SCENES = """
[show]
fps = 30
crossfade_seconds = 0.2
[gallery]
folder = "gallery"
[models.lava]
path = "{models}/lava.onnx"
kind = "lava_lamp"
[models.gen]
path = "{models}/gen64.onnx"
kind = "generator"
[[scenes]]
kind = "lava_lamp"
model = "lava"
name = "lamp"
[[scenes]]
kind = "rainbow"
model = "gen"
show_on_trigger = false
reveal_seconds = 0.1
hold_seconds = 0.2
"""


def test_show_quits_on_an_input_event_and_a_broken_source_drops_out(
    write_show: ShowWriter, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_show(write_show(TWO_SCENES))
    broken = FakeInputSource(problem="no such device")
    failing = FakeInputSource(fail_on_start=OSError("port 9000 is taken"))
    script = FakePolledSource([[]] * 5 + [[QuitRequested("operator")]])
    with caplog.at_level(logging.WARNING):
        stats = run_show(
            config, RunOptions(headless=True, seconds=30), None, [broken, failing, script]
        )
    assert "input fake is not available: no such device; the show goes on" in caplog.text
    assert "port 9000 is taken" in caplog.text
    assert broken.post is None and failing.post is None
    assert script.stopped
    assert stats.frames == 5 and len(script.polls) == 6


def test_targeted_trigger_reveals_off_screen_and_the_gallery_saves_it(
    write_show: ShowWriter, tmp_path: Path
) -> None:
    config = load_show(write_show(TWO_SCENES))
    batches = [[]] * 10 + [[Trigger("osc", target="rainbow", seed=7, caption="hello")]]
    batches += [[SetParameter("hue_shift", 45.0), SetParameter("hue_shift", 999.0)]]
    batches += [[]] * 80 + [[QuitRequested("done")]]
    stats = run_show(
        config, RunOptions(headless=True, seconds=30), None, [FakePolledSource(batches)]
    )
    counters = stats.counters()
    assert counters["images_revealed"] == 1
    assert counters["parameters_changed"] == 1 and counters["events_refused"] == 1
    records = list((tmp_path / "gallery").glob("*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["seed"] == 7 and record["scene"] == "rainbow"


def test_unknown_key_names_stop_the_show_before_the_window_opens(write_show: ShowWriter) -> None:
    config = load_show(write_show(TWO_SCENES + '\n[controls]\nkeys = { spcae = "trigger" }\n'))
    with pytest.raises(ConfigError, match="'spcae' is not a key name SDL knows"):
        run_show(config, RunOptions(headless=True, seconds=1))


def test_live_workers_forget_ended_workers_and_join_the_rest() -> None:
    workers = LiveWorkers()
    for index in range(20):
        worker = workers.sequence(lambda i: None, f"w{index}")  # type: ignore[arg-type,return-value]
        worker.start()
        worker.stop()
        worker.join()
    assert len(workers) == 1  # ended workers are dropped as new ones start
    workers.close()
    assert len(workers) == 0
