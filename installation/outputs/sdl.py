"""pygame and SDL's video: importing them, their versions, and whether there is a screen.

SDL picks a video driver when its video starts. With no screen it does not fail: it falls back
to its ``offscreen`` driver and the show runs, invisibly, looking healthy. So "is there a
screen?" is decided here, by one rule (``installation run`` and ``installation doctor`` both
use it):

- ``--headless``: SDL's ``dummy`` driver, on purpose; nothing to check.
- ``SDL_VIDEODRIVER`` names only ``dummy`` or ``offscreen``: the user (or a test harness) asked
  for an invisible show; it runs, with a one-line warning.
- No ``SDL_VIDEODRIVER`` on Linux, and neither ``DISPLAY`` (X11) nor ``WAYLAND_DISPLAY``: no
  screen. This is decided from the environment before SDL starts (and before models load):
  SDL's Wayland probe would print its own complaint to stderr.
- Otherwise SDL's video is started: if it fails, or picks ``dummy``/``offscreen`` without
  being asked to, there is no screen.

pygame 2.6's Linux wheel builds SDL with the x11, wayland, offscreen and dummy video drivers
(no kmsdrm), so on Linux a screen means X11 or Wayland; an SDL built with another driver is used
by naming it in ``SDL_VIDEODRIVER``, and a named driver is left to SDL to try.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from installation.errors import DisplayError
from installation.native_stderr import held_native_stderr

log = logging.getLogger(__name__)

INVISIBLE_DRIVERS = frozenset({"dummy", "offscreen"})
"""SDL video drivers that draw into memory only: nothing shows on any screen."""

SCREEN_ADVICE = (
    "Run it in the screen's graphical session; for a systemd unit set Environment=DISPLAY=:0 "
    "and Environment=XAUTHORITY=/home/USER/.Xauthority (the screen user's), or make it a user "
    "service of the graphical session (systemctl --user, WantedBy=graphical-session.target)"
)
"""What to set when there is no screen (the command adds how to run without one)."""


def load_pygame() -> Any:
    """pygame with SDL's renderer bindings, without its greeting on stdout."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # SDL would turn SIGINT and SIGTERM into a window-close event, which a kiosk show ignores
    # (a visitor's Alt+F4 must not end it): `systemctl stop` would then wait for its SIGKILL.
    # The show handles both signals itself (app.quit_on_signals).
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    import pygame
    import pygame._sdl2.video

    return pygame


def pygame_versions() -> tuple[str, str]:
    """(pygame, SDL) versions, for ``installation doctor``."""
    pg = load_pygame()
    return str(pg.version.ver), ".".join(map(str, pg.get_sdl_version()))


@dataclass(frozen=True)
class ScreenCheck:
    """Whether SDL can show the show on a screen here, decided before a window opens.

    ``problem`` says what is wrong when there is no screen (one sentence; the caller adds
    ``SCREEN_ADVICE`` and how to run without one); ``warning`` is set when the show runs but on
    no screen because ``SDL_VIDEODRIVER`` asked for that.
    """

    driver: str
    problem: str | None = None
    warning: str | None = None


def requested_drivers(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The video drivers ``SDL_VIDEODRIVER`` names (SDL takes a comma-separated list)."""
    value = environ.get("SDL_VIDEODRIVER", "")
    return tuple(name.strip().lower() for name in value.split(",") if name.strip())


def _display_variables(environ: Mapping[str, str]) -> str:
    named = [
        f"{name}={environ[name]}" for name in ("DISPLAY", "WAYLAND_DISPLAY") if environ.get(name)
    ]
    return " and ".join(named) if named else "DISPLAY and WAYLAND_DISPLAY unset"


def _quoted(said: Sequence[str], environ: Mapping[str, str]) -> str:
    """What the video libraries printed, as a clause; without libwayland's complaint about
    XDG_RUNTIME_DIR when no Wayland display was named (a red herring on an X11 kiosk)."""
    if not environ.get("WAYLAND_DISPLAY"):
        said = [line for line in said if "XDG_RUNTIME_DIR" not in line]
    return f"; the video libraries said: {' / '.join(said)}" if said else ""


def _invisible_warning(driver: str) -> str:
    return (
        f"SDL_VIDEODRIVER={driver}: the show runs, but nothing is visible on any screen "
        "(unset SDL_VIDEODRIVER to show it on the screen)"
    )


def no_display_problem(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Before SDL starts: on Linux, with no ``SDL_VIDEODRIVER``, a screen needs ``DISPLAY``
    (X11) or ``WAYLAND_DISPLAY``; None when that is not the problem."""
    if requested_drivers(environ) or not platform.startswith("linux"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "No display found: DISPLAY and WAYLAND_DISPLAY are unset, so there is no screen to "
        "show on (SDL would fall back to its offscreen driver and run invisibly)."
    )


def start_failed_problem(
    error: Exception, environ: Mapping[str, str], said: Sequence[str] = ()
) -> str:
    """SDL's video did not start at all."""
    asked = ",".join(requested_drivers(environ))
    driver = f"SDL_VIDEODRIVER={asked}; " if asked else ""
    return (
        f"No display found: SDL could not start its video ({error}; "
        f"{driver}{_display_variables(environ)}){_quoted(said, environ)}."
    )


def judge_driver(driver: str, environ: Mapping[str, str], said: Sequence[str] = ()) -> ScreenCheck:
    """After SDL's video started with ``driver``: a screen, unless the driver draws into memory
    only and ``SDL_VIDEODRIVER`` did not ask for it. ``said``: what the video libraries printed
    while SDL tried its drivers (Xlib says why X refused)."""
    if driver not in INVISIBLE_DRIVERS:
        return ScreenCheck(driver)
    if driver in requested_drivers(environ):
        return ScreenCheck(driver, warning=_invisible_warning(driver))
    return ScreenCheck(
        driver,
        problem=(
            f"No display found: SDL could not open a screen ({_display_variables(environ)}) "
            f"and fell back to its {driver} driver, which shows nothing{_quoted(said, environ)}."
        ),
    )


def check_screen() -> ScreenCheck:
    """Whether a run without ``--headless`` can show on a screen here (this process's
    environment). Starts SDL's video for a moment when the environment cannot tell."""
    requested = requested_drivers(os.environ)
    if requested and all(name in INVISIBLE_DRIVERS for name in requested):
        return ScreenCheck(requested[0], warning=_invisible_warning(requested[0]))
    pg = load_pygame()
    if pg.display.get_init():  # already started in this process: ask, do not restart
        return judge_driver(str(pg.display.get_driver()), os.environ)
    check = _started_video(headless=False)
    if check.problem is None:
        pg.display.quit()
    return check


def run_message(problem: str) -> str:
    """The one paragraph ``installation run`` stops with when there is no screen."""
    return f"{problem} {SCREEN_ADVICE}; or add --headless to run without a screen."


def require_screen(headless: bool) -> None:
    """Raise ``DisplayError`` (before models load) when a run without ``--headless`` would have
    no screen to show on."""
    if headless:
        return
    check = check_screen()
    if check.problem is not None:
        raise DisplayError(run_message(check.problem))


def start_video(headless: bool) -> str:
    """Start SDL's video (headless: its dummy driver) and return the driver it picked.

    Raises ``DisplayError`` when a window would show on no screen; logs the one-line warning
    when ``SDL_VIDEODRIVER`` asked for an invisible driver.
    """
    check = _started_video(headless)
    if check.problem is not None:
        raise DisplayError(run_message(check.problem))
    if check.warning is not None:
        log.warning("display: %s", check.warning)
    return check.driver


def _started_video(headless: bool) -> ScreenCheck:
    """Start SDL's video and judge the driver it picked; with a problem, it is stopped again
    (or was never started: no display variables on Linux are judged before SDL starts)."""
    if not headless:
        problem = no_display_problem(os.environ)
        if problem is not None:
            return ScreenCheck("", problem=problem)
    pg = load_pygame()
    with _native_stderr_held() as said, _video_driver("dummy" if headless else None):
        try:
            pg.display.init()
        except pg.error as exc:
            error: Exception | None = exc
        else:
            error = None
    if error is not None:
        return ScreenCheck("", problem=start_failed_problem(error, os.environ, said))
    driver = str(pg.display.get_driver())
    if headless:
        return ScreenCheck(driver)
    check = judge_driver(driver, os.environ, said)
    if check.problem is not None:
        pg.display.quit()
    return check


@contextmanager
def _video_driver(name: str | None) -> Iterator[None]:
    """Ask SDL for the video driver ``name`` while its video starts in the block (None: SDL's
    own choice); the environment is as it was afterwards, so a later check still sees what the
    user set."""
    if name is None:
        yield
        return
    before = os.environ.get("SDL_VIDEODRIVER")
    os.environ["SDL_VIDEODRIVER"] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ["SDL_VIDEODRIVER"]
        else:
            os.environ["SDL_VIDEODRIVER"] = before


@contextmanager
def _native_stderr_held() -> Iterator[list[str]]:
    """Hold what native code (SDL, Xlib, libwayland) prints on stderr while SDL's video starts:
    the list gets its lines after the block, and they are logged at debug level, so a missing
    screen is reported in one paragraph, not after stray lines."""
    with held_native_stderr() as said:
        yield said
    for line in said:
        log.debug("SDL video start: %s", line)
