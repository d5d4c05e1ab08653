"""The show window's input: SDL's event queue (keys, window close, gamepads), read each frame.

SDL wants its event queue read on the thread that opened the window, so this source is
polled by the frame loop (``polled = True``) instead of running a thread; a poll takes
microseconds. Keys and gamepad buttons go through the show's ``ControlMap``.

Gamepads are hot-plugged: SDL reports each device added or removed during the show. A device
SDL knows as a *game controller* (it has a mapping: most pads, and any pad described in the
``SDL_GAMECONTROLLERCONFIG`` environment variable) is opened through SDL's game-controller
API and its buttons have standard names (``a``, ``b``, ``x``, ``y``, ``start``, ``back``,
``dpleft`` ...; axes ``leftx``, ``lefty``, ``rightx``, ``righty``, ``lefttrigger``,
``righttrigger``). Any other joystick is opened as a plain joystick: buttons ``button0``,
``button1`` ..., axes ``axis0`` ..., and its first hat reads as the d-pad (``dpup`` ...).
Axis motion is coalesced: the newest value of each axis per frame.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

from installation.config.schema import ControlsSection
from installation.events import DeviceChanged, Event, InputReceived, QuitRequested
from installation.inputs.base import InputSource, Post
from installation.inputs.controls import ControlMap

log = logging.getLogger(__name__)

CONTROLLER_BUTTONS = (
    "a", "b", "x", "y", "back", "guide", "start", "leftstick", "rightstick",
    "leftshoulder", "rightshoulder", "dpup", "dpdown", "dpleft", "dpright",
)  # fmt: skip
"""SDL_GameControllerButton order (SDL 2): index -> standard button name."""
CONTROLLER_AXES = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")
"""SDL_GameControllerAxis order (SDL 2)."""
HAT_DIRECTIONS = {(0, 1): "dpup", (0, -1): "dpdown", (-1, 0): "dpleft", (1, 0): "dpright"}


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # SDL drops gamepad events while its window lacks focus; a kiosk whose window lost focus
    # to a system pop-up must still obey its pads.
    os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
    import pygame
    import pygame._sdl2.controller

    return pygame


@dataclass
class Gamepad:
    """One plugged-in device: its player label (``gamepad 1``), name and SDL handle."""

    label: str
    name: str
    handle: Any
    is_controller: bool
    hat: tuple[int, int] = (0, 0)


class WindowInput(InputSource):
    """Keys, window close and gamepads from SDL's event queue, translated by the control map."""

    name = "window"
    polled = True

    def __init__(self, controls: ControlMap) -> None:
        self.controls = controls
        self.pads: dict[int, Gamepad] = {}
        """Open devices by SDL instance id (bounded by what is plugged in)."""
        self._pg: Any = None
        self._post: Post | None = None
        self._axes: dict[tuple[int, str], float] = {}

    def check(self) -> str | None:
        pg = _pygame()
        if not pg.display.get_init():
            return "the display is not open (SDL's event queue needs the window)"
        return None

    def start(self, post: Post) -> None:
        self._pg = _pygame()
        self._post = post
        try:
            self._pg.joystick.init()
            self._pg._sdl2.controller.init()
        except self._pg.error as exc:  # no joystick support: keys still work
            log.warning("gamepads are not available (%s); keys still work", exc)

    def stop(self) -> None:
        for pad in self.pads.values():
            self._close(pad)
        self.pads.clear()
        self._post = None

    def poll(self, now: float) -> None:
        post = self._post
        if post is None:
            return
        pg = self._pg
        for raw in pg.event.get():
            for event in self._translate(raw, now):
                post(event)
        for (instance, axis), value in self._axes.items():
            pad = self.pads.get(instance)
            if pad is not None:
                for event in self.controls.axis(pad.label, axis, value):
                    post(event)
        self._axes.clear()
        for event in self.controls.tick(now):
            post(event)

    def _translate(self, raw: Any, now: float) -> list[Event]:
        pg = self._pg
        kind = raw.type
        if kind in (pg.QUIT, pg.WINDOWCLOSE):
            if self.controls.controls.kiosk:
                # A visitor's Alt+F4 must not end a kiosk show; the quit chord (or a signal) does.
                log.info("window close ignored in a kiosk show: hold the quit chord to quit")
                return [InputReceived("window", "close ignored (kiosk)")]
            return [QuitRequested("window closed")]
        if kind == pg.KEYDOWN:
            return self.controls.key_down(pg.key.name(raw.key), now)
        if kind == pg.KEYUP:
            self.controls.key_up(pg.key.name(raw.key))
            return []
        if kind == pg.JOYDEVICEADDED:
            return self._added(raw.device_index)
        if kind == pg.JOYDEVICEREMOVED:
            return self._removed(raw.instance_id)
        pad = self.pads.get(getattr(raw, "instance_id", -1))
        if pad is None:
            return []
        if kind == pg.CONTROLLERBUTTONDOWN and pad.is_controller:
            if 0 <= raw.button < len(CONTROLLER_BUTTONS):
                return self.controls.button_down(pad.label, CONTROLLER_BUTTONS[raw.button])
        elif kind == pg.CONTROLLERAXISMOTION and pad.is_controller:
            if 0 <= raw.axis < len(CONTROLLER_AXES):
                self._axes[(raw.instance_id, CONTROLLER_AXES[raw.axis])] = raw.value / 32767.0
        elif not pad.is_controller:
            return self._joystick_event(pad, raw)
        return []

    def _joystick_event(self, pad: Gamepad, raw: Any) -> list[Event]:
        pg = self._pg
        if raw.type == pg.JOYBUTTONDOWN:
            return self.controls.button_down(pad.label, f"button{raw.button}")
        if raw.type == pg.JOYAXISMOTION:
            self._axes[(raw.instance_id, f"axis{raw.axis}")] = float(raw.value)
        elif raw.type == pg.JOYHATMOTION and raw.hat == 0:
            value = tuple(raw.value)
            pressed = HAT_DIRECTIONS.get((value[0], value[1]))
            changed = value != pad.hat
            pad.hat = (value[0], value[1])
            if pressed is not None and changed:
                return self.controls.button_down(pad.label, pressed)
        return []

    def _added(self, device_index: int) -> list[Event]:
        pg = self._pg
        try:
            if pg._sdl2.controller.is_controller(device_index):
                controller = pg._sdl2.controller.Controller(device_index)
                joystick = controller.as_joystick()
                handle, is_controller = controller, True
            else:
                joystick = pg.joystick.Joystick(device_index)
                handle, is_controller = joystick, False
            instance = joystick.get_instance_id()
            name = str(joystick.get_name())
        except pg.error as exc:
            log.warning("a gamepad was plugged in but could not be opened: %s", exc)
            return []
        if instance in self.pads:
            return []
        label = f"gamepad {self._free_number()}"
        self.pads[instance] = Gamepad(label, name, handle, is_controller)
        kind = "game controller" if is_controller else "joystick (buttons by number)"
        log.info("%s connected: %s, %s", label, name, kind)
        return [DeviceChanged(label, name, connected=True)]

    def _removed(self, instance: int) -> list[Event]:
        pad = self.pads.pop(instance, None)
        if pad is None:
            return []
        self._close(pad)
        log.info("%s disconnected: %s", pad.label, pad.name)
        return [DeviceChanged(pad.label, pad.name, connected=False)]

    def _free_number(self) -> int:
        taken = {pad.label for pad in self.pads.values()}
        number = 1
        while f"gamepad {number}" in taken:
            number += 1
        return number

    def _close(self, pad: Gamepad) -> None:
        try:
            pad.handle.quit()
        except Exception:  # already gone with its device: nothing to release
            log.debug("closing %s", pad.label, exc_info=True)


def control_problems(controls: ControlsSection) -> list[str]:
    """Key, button and axis names in ``[controls]`` that SDL does not know, with did-you-means.

    Checked before the window opens, so a typo in a show file is an error, not a dead key.
    """
    pg = _pygame()
    problems: list[str] = []
    keys = {**controls.key_actions(), **{key: "" for key in controls.quit_chord}}
    for key in keys:
        with warnings.catch_warnings():  # key_code warns before pygame.init(); it still works
            warnings.simplefilter("ignore")
            try:
                pg.key.key_code(key)
            except ValueError:
                problems.append(f"controls: {key!r} is not a key name SDL knows{_hint(key, KEYS)}")
    buttons = set(CONTROLLER_BUTTONS)
    for button in controls.button_actions():
        if button not in buttons and not re.fullmatch(r"button\d{1,2}", button):
            problems.append(
                f"controls.gamepad_buttons: {button!r} is not a gamepad button"
                f"{_hint(button, CONTROLLER_BUTTONS)} (game controllers: "
                f"{', '.join(CONTROLLER_BUTTONS)}; other joysticks: button0, button1, ...)"
            )
    for axis in controls.gamepad_axes:
        if axis not in CONTROLLER_AXES and not re.fullmatch(r"axis\d{1,2}", axis):
            problems.append(
                f"controls.gamepad_axes: {axis!r} is not a gamepad axis"
                f"{_hint(axis, CONTROLLER_AXES)} (game controllers: {', '.join(CONTROLLER_AXES)}; "
                "other joysticks: axis0, axis1, ...)"
            )
    return problems


KEYS = (
    "escape", "space", "return", "tab", "left", "right", "up", "down", "left ctrl",
    "right ctrl", "left shift", "right shift", "left alt", "right alt", "backspace",
    "delete", "home", "end", "page up", "page down", *[f"f{n}" for n in range(1, 13)],
)  # fmt: skip
"""Common multi-letter key names, for did-you-mean hints."""


def _hint(name: str, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
