"""The screen's power at closing and opening: commands run on their own thread with a
timeout; a failure is logged once, and the show goes on."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import pytest

from installation.events import HoursChanged, ImageRevealed
from installation.outputs.display_power import DisplayPower, run_command

OFF = ("xset", "dpms", "force", "off")
ON = ("xset", "dpms", "force", "on")


def test_off_at_closing_on_at_opening_on_its_own_thread() -> None:
    ran: list[tuple[Sequence[str], float]] = []
    power = DisplayPower(
        OFF, ON, 5.0, runner=lambda command, timeout: ran.append((command, timeout))
    )
    power.start()
    power.handle(HoursChanged(False, "closed at 18:00", first=True))
    power.handle(HoursChanged(True, "open until 18:00"))
    power.stop()
    assert ran == [(OFF, 5.0), (ON, 5.0)]


def test_a_failing_command_is_logged_once_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    counted: list[str] = []

    def fails(command: Sequence[str], timeout: float) -> None:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    power = DisplayPower(OFF, (), 5.0, counted.append, runner=fails)
    power.start()
    with caplog.at_level(logging.ERROR):
        for _ in range(3):
            power.handle(HoursChanged(False, "closed at 18:00"))
            power.handle(HoursChanged(True, "open until 18:00"))  # no on-command: nothing
        power.stop()
    assert counted == ["display_command_errors"] * 3 and power.ran == 3
    assert caplog.text.count("display command xset dpms force off failed") == 1


def test_other_events_run_nothing() -> None:
    ran: list[Sequence[str]] = []
    power = DisplayPower(OFF, ON, 5.0, runner=lambda command, timeout: ran.append(command))
    power.handle(ImageRevealed.__new__(ImageRevealed))
    assert ran == [] and power._commands.empty()


def test_run_command_raises_on_failure_and_ends_a_hung_command() -> None:
    run_command([sys.executable, "-c", "pass"], 5.0)
    with pytest.raises(Exception, match="exit status 3"):
        run_command([sys.executable, "-c", "raise SystemExit(3)"], 5.0)
    with pytest.raises(Exception, match="timed out"):
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], 0.5)
