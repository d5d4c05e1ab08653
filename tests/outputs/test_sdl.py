"""Is there a screen? The rule in ``outputs/sdl.py``, from the environment and SDL's driver."""

from __future__ import annotations

import logging
import os
import sys

import pytest

from installation.errors import DisplayError
from installation.outputs.display import PygameDisplay, opened
from installation.outputs.sdl import (
    check_screen,
    judge_driver,
    no_display_problem,
    requested_drivers,
    require_screen,
    start_failed_problem,
)

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="DISPLAY/WAYLAND_DISPLAY decide on Linux"
)


@pytest.fixture
def no_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a systemd unit: no DISPLAY, no WAYLAND_DISPLAY, no SDL_VIDEODRIVER."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(name, raising=False)


# The rule, from the environment ----------------------------------------------------------


def test_linux_without_display_variables_has_no_screen() -> None:
    problem = no_display_problem({}, "linux")
    assert problem is not None
    assert "DISPLAY and WAYLAND_DISPLAY are unset" in problem


def test_empty_display_variables_count_as_unset() -> None:
    assert no_display_problem({"DISPLAY": "", "WAYLAND_DISPLAY": ""}, "linux") is not None


@pytest.mark.parametrize(
    "environ",
    [{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}, {"SDL_VIDEODRIVER": "kmsdrm"}],
)
def test_a_display_variable_or_a_chosen_driver_leaves_it_to_sdl(environ: dict[str, str]) -> None:
    assert no_display_problem(environ, "linux") is None


def test_other_systems_leave_it_to_sdl() -> None:
    assert no_display_problem({}, "darwin") is None
    assert no_display_problem({}, "win32") is None


def test_sdl_videodriver_may_name_several_drivers() -> None:
    assert requested_drivers({"SDL_VIDEODRIVER": " X11, Dummy "}) == ("x11", "dummy")
    assert requested_drivers({"SDL_VIDEODRIVER": ""}) == ()
    assert requested_drivers({}) == ()


# The rule, from the driver SDL picked ------------------------------------------------------


def test_a_real_driver_is_a_screen() -> None:
    check = judge_driver("x11", {"DISPLAY": ":0"})
    assert check.problem is None and check.warning is None


@pytest.mark.parametrize("driver", ["offscreen", "dummy"])
def test_falling_back_to_an_invisible_driver_is_no_screen(driver: str) -> None:
    check = judge_driver(driver, {"DISPLAY": ":0"})
    assert check.problem is not None
    assert "DISPLAY=:0" in check.problem and f"fell back to its {driver} driver" in check.problem


@pytest.mark.parametrize("driver", ["offscreen", "dummy"])
def test_an_invisible_driver_asked_for_runs_with_a_warning(driver: str) -> None:
    check = judge_driver(driver, {"SDL_VIDEODRIVER": driver})
    assert check.problem is None
    assert check.warning is not None and "nothing is visible" in check.warning


def test_what_xlib_said_is_quoted_but_not_libwayland_on_an_x11_kiosk() -> None:
    said = [
        "Authorization required, but no authorization protocol specified",
        "error: XDG_RUNTIME_DIR is invalid or not set in the environment.",
    ]
    check = judge_driver("offscreen", {"DISPLAY": ":0"}, said)
    assert check.problem is not None
    assert "Authorization required" in check.problem
    assert "XDG_RUNTIME_DIR" not in check.problem


def test_a_failed_start_names_the_driver_asked_for() -> None:
    problem = start_failed_problem(RuntimeError("x11 not available"), {"SDL_VIDEODRIVER": "x11"})
    assert "x11 not available" in problem and "SDL_VIDEODRIVER=x11" in problem


# check_screen and require_screen in this process --------------------------------------------


def test_dummy_asked_for_is_a_warning_without_starting_sdl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    check = check_screen()
    assert check.driver == "dummy" and check.problem is None and check.warning is not None
    require_screen(headless=False)  # honoured: no error


@linux_only
@pytest.mark.usefixtures("no_screen")
def test_no_screen_is_an_error_unless_headless() -> None:
    assert check_screen().problem is not None
    with pytest.raises(DisplayError) as raised:
        require_screen(headless=False)
    message = str(raised.value)
    assert message.startswith("No display found: DISPLAY and WAYLAND_DISPLAY are unset")
    assert "Environment=DISPLAY=:0" in message and "XAUTHORITY" in message
    assert "--headless" in message and "\n" not in message
    require_screen(headless=True)


# The display itself ---------------------------------------------------------------------------


@linux_only
@pytest.mark.usefixtures("no_screen")
def test_a_window_without_a_screen_is_refused_before_sdl_starts() -> None:
    display = PygameDisplay((64, 48), fullscreen=False)
    with pytest.raises(DisplayError, match="No display found"):
        display.open()
    assert display.driver == ""


def test_a_window_on_the_dummy_driver_asked_for_opens_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    with caplog.at_level(logging.WARNING), opened(PygameDisplay((64, 48), fullscreen=False)) as d:
        assert d.driver == "dummy"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("SDL_VIDEODRIVER=dummy" in w and "nothing is visible" in w for w in warnings)


@pytest.mark.usefixtures("no_screen")
def test_headless_leaves_the_environment_as_it_was() -> None:
    with opened(PygameDisplay((64, 48), headless=True)) as display:
        assert display.driver == "dummy"
    assert "SDL_VIDEODRIVER" not in os.environ  # a later check still sees what the user set
