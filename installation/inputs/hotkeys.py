"""Global operator hotkeys: key combinations that work while the show window has no focus.

``[controls] hotkeys`` binds pynput combinations to actions (the same action names as keys and
buttons, see ``controls.py``)::

    [controls.hotkeys]
    "<ctrl>+<alt>+n" = "next_scene"
    "<ctrl>+<alt>+b" = "blackout"
    "<ctrl>+<alt>+t" = "trigger:rainbow"

A combination is keys joined by ``+``: a single character (``n``, case does not matter) or a
named key in angle brackets (``<ctrl>``, ``<alt>``, ``<cmd>``, ``<shift>``, ``<f9>``,
``<page_up>`` ...; ``<65>`` is a virtual key code). A global hotkey needs at least one named
key other than ``<shift>``: a bare letter would fire whenever anyone types it in any program.

pynput listens on its own thread (X11 on Linux, a keyboard hook on Windows, an event tap on
macOS, which needs the Accessibility permission). Its callbacks only post events. pynput is
imported only when asked for: on Linux it needs an X display at import time, and without one
the source says so and the show runs without it.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Collection, Mapping
from types import ModuleType
from typing import Any

from installation.config.schema import ControlsSection
from installation.errors import InputError
from installation.events import Event, InputReceived
from installation.inputs.base import InputSource, Post
from installation.inputs.controls import action_event

log = logging.getLogger(__name__)

SOURCE = "hotkey"
"""The ``source`` of the events a hotkey posts (``InputReceived("hotkey", combo)``)."""
NO_HOTKEYS = "no hotkeys configured"
"""``check()``'s answer for a show without hotkeys: nothing is wrong, there is nothing to do."""
READY_SECONDS = 2.0
"""How long ``start`` waits for pynput's listener to be listening."""
STOP_SECONDS = 0.2
"""How long ``stop`` waits for the listener thread (pynput's X11 listener may linger longer)."""

_VIRTUAL_KEY = re.compile(r"\d{1,5}")


def _bound(hotkeys: Mapping[str, str]) -> dict[str, str]:
    """The combinations that do something (``none`` unbinds)."""
    return {combo: action for combo, action in hotkeys.items() if action != "none"}


def _keyboard() -> tuple[ModuleType | None, str | None]:
    """``pynput.keyboard`` and None, or None and why it cannot be imported here (one line)."""
    try:
        from pynput import keyboard
    except ImportError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, first
    return keyboard, None


def _dummy_backend() -> bool:
    """pynput runs its dummy backend (tests, CI): it parses keys but listens to nothing."""
    chosen = os.environ.get("PYNPUT_BACKEND_KEYBOARD", os.environ.get("PYNPUT_BACKEND", ""))
    return chosen == "dummy" or "pynput.keyboard._dummy" in sys.modules


def _parts(combo: str) -> list[str] | None:
    """``combo`` split on ``+`` as pynput's ``HotKey.parse`` splits it (None: it ends in ``+``).

    A ``+`` right after another one (or first) is the plus key itself: ``<ctrl>++``.
    """
    parts: list[str] = []
    start = 0
    for index, char in enumerate(combo):
        if char == "+" and index != start:
            parts.append(combo[start:index])
            start = index + 1
    if start == len(combo):
        return None
    parts.append(combo[start:])
    return parts


def _combo_problem(combo: str, key_names: Collection[str] | None) -> str | None:
    """Why ``combo`` is not a usable global hotkey, or None. Names go unchecked without pynput."""
    parts = _parts(combo)
    if parts is None:
        return "it is empty or ends in '+' (keys are joined by '+', e.g. '<ctrl>+<alt>+n')"
    named: list[str] = []
    for part in parts:
        if len(part) == 1:
            continue
        if len(part) > 2 and part[0] == "<" and part[-1] == ">":
            name = part[1:-1].lower()
            if key_names is not None and name not in key_names and not _VIRTUAL_KEY.fullmatch(name):
                hint = _hint(name, key_names)
                return f"{part!r} is not a key pynput knows{hint}"
            named.append(name)
            continue
        return (
            f"{part!r} is neither one character nor a key name in angle brackets "
            f"(write '<{part.strip('<>').lower()}>')"
        )
    lowered = [part.lower() for part in parts]
    if len(set(lowered)) != len(lowered):
        return "it names a key twice"
    if not [name for name in named if name not in {"shift", "shift_l", "shift_r"}]:
        return (
            "a global hotkey needs a named key other than <shift> (<ctrl>, <alt>, <cmd>, "
            "<f9> ...): a plain key would fire whenever anyone types it in any program"
        )
    return None


def _hint(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '<{close[0]}>'?)" if close else ""


def hotkey_problems(hotkeys: Mapping[str, str], scenes: Collection[str] | None = None) -> list[str]:
    """One line per unusable entry of ``[controls] hotkeys``, for listing before the window opens.

    Combinations are checked the way pynput's ``HotKey.parse`` reads them, with its key names
    (known with the dummy backend too); where pynput cannot be imported at all (Linux without
    a display) only their form is checked. With the real backend, pynput's own parse has the
    last word. Actions must be action names; with ``scenes`` (names and kinds of the show's
    scenes), ``trigger:SCENE`` and ``scene:SCENE`` must name one of them.
    """
    keyboard, _ = _keyboard()
    key_names = None if keyboard is None else frozenset(keyboard.Key.__members__)
    parse = None if keyboard is None or _dummy_backend() else keyboard.HotKey.parse
    problems: list[str] = []
    for combo, action in hotkeys.items():
        where = f"controls.hotkeys: {combo!r}"
        problem = _combo_problem(combo, key_names)
        if problem is None and parse is not None:
            try:
                parse(combo)
            except ValueError as exc:
                problem = f"pynput refuses it ({exc})"
        if problem is not None:
            problems.append(f"{where} is not a hotkey: {problem}")
        if action != "none" and action_event(action, SOURCE, combo) is None:
            problems.append(
                f"{where}: {action!r} is not an action (quit, next_scene, previous_scene, "
                "blackout, overlay, trigger, trigger:SCENE, scene:SCENE, none)"
            )
            continue
        verb, _, target = action.partition(":")
        if scenes is not None and verb in ("trigger", "scene") and target and target not in scenes:
            known = ", ".join(sorted(scenes))
            problems.append(f"{where}: no scene named {target!r}. Scenes: {known}.")
    return problems


class GlobalHotkeys(InputSource):
    """``[controls] hotkeys`` through a pynput ``GlobalHotKeys`` listener (its own thread).

    In a kiosk show, hotkeys bound to ``quit`` do nothing, like single keys: only the quit chord
    in the show window quits.
    """

    name = "global hotkeys"

    def __init__(self, controls: ControlsSection) -> None:
        self.hotkeys = {
            combo: action
            for combo, action in _bound(controls.hotkeys).items()
            if not (action == "quit" and controls.kiosk)
        }
        self._post: Post | None = None
        self._listener: Any = None

    def check(self) -> str | None:
        if not self.hotkeys:
            return NO_HOTKEYS
        keyboard, why = _keyboard()
        if keyboard is None:
            return (
                f"pynput cannot reach a keyboard here ({why}); global hotkeys need a desktop "
                "session (on Linux an X display: is DISPLAY set?)"
            )
        if _dummy_backend():
            return "PYNPUT_BACKEND=dummy: pynput's dummy backend has no keyboard to listen to"
        problems = hotkey_problems(self.hotkeys)
        if problems:
            return "; ".join(problems)
        return None

    def callbacks(self, post: Post) -> dict[str, Callable[[], None]]:
        """What the listener calls for each combination: post what it was, then its action."""

        def callback(combo: str, action: str) -> Callable[[], None]:
            def pressed() -> None:
                post(InputReceived(SOURCE, combo))
                event: Event | None = action_event(action, SOURCE, combo)
                if event is not None:
                    post(event)

            return pressed

        return {combo: callback(combo, action) for combo, action in self.hotkeys.items()}

    def start(self, post: Post) -> None:
        keyboard, why = _keyboard()
        if keyboard is None:
            raise InputError(f"pynput cannot reach a keyboard here ({why})")
        self._post = post
        try:
            listener = keyboard.GlobalHotKeys(self.callbacks(self._forward))
        except ValueError as exc:
            self._post = None
            raise InputError(f"pynput refuses a hotkey ({exc})") from exc
        listener.daemon = True
        listener.start()
        ready = threading.Event()

        def wait_until_listening() -> None:
            listener.wait()
            ready.set()

        # pynput's wait() has no timeout, and a listener that died starting never gets ready.
        threading.Thread(target=wait_until_listening, name="hotkeys-ready", daemon=True).start()
        if not ready.wait(READY_SECONDS):
            self._post = None
            listener.stop()
            raise InputError(f"pynput's keyboard listener did not start in {READY_SECONDS:.0f} s")
        if getattr(listener, "IS_TRUSTED", True) is False:  # macOS without Accessibility
            log.warning(
                "global hotkeys: macOS does not let this program read the keyboard; allow it "
                "under System Settings > Privacy & Security > Accessibility"
            )
        self._listener = listener
        log.info("global hotkeys: %s", ", ".join(f"{c} = {a}" for c, a in self.hotkeys.items()))

    def _forward(self, event: Event) -> None:
        post = self._post
        if post is not None:  # nothing is posted after stop()
            post(event)

    def stop(self) -> None:
        self._post = None
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.stop()
        # pynput's X11 listener thread ends at the next key event after stop() (pynput
        # PR #583); it is a daemon thread and posts nothing more, so do not wait for it.
        listener.join(STOP_SECONDS)
