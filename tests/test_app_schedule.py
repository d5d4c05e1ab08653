"""Opening hours in a whole live show (headless): started while closed the show is black,
its scenes rest and a trigger reveals nothing; opening during the run brings it back."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from installation import app
from installation.config.schedule_schema import ScheduleSection
from installation.events import Event, Trigger
from installation.inputs.opening_hours import OpeningHoursInput
from installation.inputs.registry import InputKit, build_inputs
from installation.outputs.display import PygameDisplay
from installation.scenes.registry import load_show
from tests.conftest import ShowWriter
from tests.fakes import FakePolledSource
from tests.test_app import TWO_SCENES

SHOW = TWO_SCENES + "[display]\nrender_size = [64, 36]\n"
HOURS = ScheduleSection(enabled=True, opens="10:00", closes="18:00")
LONDON = ZoneInfo("Europe/London")


class BrightnessDisplay(PygameDisplay):
    """The real headless display, noting each presented frame's brightest pixel."""

    brightest: ClassVar[list[int]] = []

    def present(self) -> None:
        BrightnessDisplay.brightest.append(int(np.asarray(self.grab()()).max()))
        super().present()


@pytest.fixture
def frames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    BrightnessDisplay.brightest = []
    monkeypatch.setattr(app, "PygameDisplay", BrightnessDisplay)
    return BrightnessDisplay.brightest


def wall_from(text: str) -> OpeningHoursInput:
    """Opening hours on a wall clock that starts at ``text`` (London) and runs in real time."""
    start = datetime.fromisoformat(text).replace(tzinfo=LONDON)
    began: list[float] = []

    def wall() -> datetime:
        began.append(time.monotonic())
        return start + timedelta(seconds=began[-1] - began[0])

    return OpeningHoursInput(HOURS, wall)


def triggers_at(frame: int) -> FakePolledSource:
    batches: list[list[Event]] = [[] for _ in range(frame)]
    return FakePolledSource([*batches, [Trigger("osc", target="rainbow", seed=3)]])


def test_a_show_started_while_closed_is_black_and_reveals_nothing(
    write_show: ShowWriter, frames: list[int]
) -> None:
    config = load_show(write_show(SHOW))
    sources = [wall_from("2025-12-16T20:00:00"), triggers_at(30)]
    stats = app.run_show(config, app.RunOptions(headless=True, seconds=2.5), None, sources)
    counters = stats.counters()
    assert counters["schedule_closed"] == 1 and counters.get("schedule_opened", 0) == 0
    assert counters.get("images_revealed", 0) == 0
    assert len(frames) > 40 and max(frames[-30:]) == 0  # black once the fade is done


def test_a_show_that_opens_during_the_run_comes_back(
    write_show: ShowWriter, frames: list[int]
) -> None:
    config = load_show(write_show(SHOW))
    sources = [wall_from("2025-12-16T09:59:58"), triggers_at(100)]
    stats = app.run_show(config, app.RunOptions(headless=True, seconds=5.0), None, sources)
    counters = stats.counters()
    assert counters["schedule_closed"] == 1 and counters["schedule_opened"] == 1
    assert counters["images_revealed"] == 1  # the trigger after opening reveals
    assert 0 in frames and max(frames[-10:]) > 0  # black while closed, a picture again


def test_the_registry_builds_the_opening_hours_first_when_enabled(write_show: ShowWriter) -> None:
    config = load_show(write_show(SHOW + "[schedule]\nenabled = true\n[osc]\nenabled = false\n"))
    kit = InputKit(None, lambda name, amount: None, lambda name, ms: None)  # type: ignore[arg-type]
    assert isinstance(build_inputs(config, kit)[0], OpeningHoursInput)
    off = config.model_copy(update={"schedule": ScheduleSection()})
    assert not any(isinstance(s, OpeningHoursInput) for s in build_inputs(off, kit))
