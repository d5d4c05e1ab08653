"""The window input on a real (headless) SDL window: keys, close, and hot-plugged gamepads.

Gamepads are SDL virtual joysticks (``virtual_gamepad.py``): real SDL devices that SDL plugs
in, opens, reads and pulls out like a USB pad.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pygame
import pytest

from installation.config.schema import AxisBinding, ControlsSection
from installation.events import (
    DeviceChanged,
    Event,
    InputReceived,
    QuitRequested,
    SetParameter,
    Trigger,
)
from installation.inputs.base import start_sources
from installation.inputs.controls import ControlMap
from installation.inputs.window import WindowInput, control_problems
from installation.outputs.display import PygameDisplay
from tests.inputs.virtual_gamepad import GAMECONTROLLER, THROTTLE, VirtualGamepad


@pytest.fixture
def window() -> Iterator[tuple[WindowInput, list[Event]]]:
    display = PygameDisplay((64, 48), headless=True)
    display.open()
    controls = ControlsSection(
        gamepad_axes={"leftx": AxisBinding(parameter="hue_shift", low=-90.0, high=90.0)},
        dead_zone=0.1,
    )
    source = WindowInput(ControlMap(controls))
    posted: list[Event] = []
    assert start_sources([source], posted.append) == [source]
    try:
        yield source, posted
    finally:
        source.stop()
        display.close()


def poll(source: WindowInput, posted: list[Event], now: float = 0.0) -> list[Event]:
    posted.clear()
    source.poll(now)
    return list(posted)


def test_keys_and_window_close(window: tuple[WindowInput, list[Event]]) -> None:
    source, posted = window
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_SPACE))
    assert Trigger("keyboard") in poll(source, posted)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert QuitRequested("window closed") in poll(source, posted)


def test_game_controller_plugged_in_used_and_pulled_out(
    window: tuple[WindowInput, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    source, posted = window
    pad = VirtualGamepad(GAMECONTROLLER)
    caplog.set_level(logging.INFO)
    pad.plug_in()
    try:
        events = poll(source, posted)
        added = [e for e in events if isinstance(e, DeviceChanged)]
        assert len(added) == 1 and added[0].connected and added[0].source == "gamepad 1"
        assert "gamepad 1 connected" in caplog.text and "game controller" in caplog.text
        pad.press(0)  # SDL_CONTROLLER_BUTTON_A
        pad.press(0, down=False)
        assert Trigger("gamepad 1") in poll(source, posted)
        # Three motions in one frame: only the newest value counts.
        for value in (5000, 20000, 32767):
            pad.move_axis(0, value)
        changes = [e for e in poll(source, posted) if isinstance(e, SetParameter)]
        assert changes == [SetParameter("hue_shift", 90.0, source="gamepad 1")]
        pad.move_axis(0, 1000)  # inside the dead zone: centre
        changes = [e for e in poll(source, posted) if isinstance(e, SetParameter)]
        assert changes == [SetParameter("hue_shift", 0.0, source="gamepad 1")]
    finally:
        pad.pull_out()
    events = poll(source, posted)
    assert DeviceChanged("gamepad 1", added[0].device, connected=False) in events
    assert source.pads == {}
    assert "gamepad 1 disconnected" in caplog.text


def test_plain_joystick_buttons_by_number_and_hat_as_dpad(
    window: tuple[WindowInput, list[Event]],
) -> None:
    source, posted = window
    first, second = VirtualGamepad(GAMECONTROLLER), VirtualGamepad(THROTTLE, 2, 4, 1)
    first.plug_in()
    second.plug_in()
    try:
        labels = sorted(e.source for e in poll(source, posted) if isinstance(e, DeviceChanged))
        assert labels == ["gamepad 1", "gamepad 2"]
        second.press(0)
        events = poll(source, posted)
        assert any(getattr(e, "what", "") == "button button0" for e in events)
        second.move_hat(0, 8)  # left
        events = poll(source, posted)
        assert any(getattr(e, "what", "") == "button dpleft" for e in events)
        first.pull_out()
        poll(source, posted)
        third = VirtualGamepad(GAMECONTROLLER)
        third.plug_in()  # takes the free player number again
        try:
            labels = [e.source for e in poll(source, posted) if isinstance(e, DeviceChanged)]
            assert labels == ["gamepad 1"]
        finally:
            third.pull_out()
    finally:
        first.pull_out()
        second.pull_out()
    poll(source, posted)
    assert source.pads == {}


def test_window_input_drops_out_without_a_display(caplog: pytest.LogCaptureFixture) -> None:
    source = WindowInput(ControlMap(ControlsSection()))
    pygame.display.quit()
    assert start_sources([source], lambda event: None) == []
    assert "input window is not available" in caplog.text


def test_unknown_control_names_are_reported_with_hints() -> None:
    controls = ControlsSection(
        keys={"spcae": "trigger", "f1": "overlay"},
        gamepad_buttons={"strat": "next_scene", "button3": "trigger"},
        gamepad_axes={"leftz": AxisBinding(parameter="hue_shift", low=0, high=1)},
        quit_chord=("left ctrl", "q"),
    )
    problems = control_problems(controls)
    assert len(problems) == 3
    assert "'spcae' is not a key name SDL knows (did you mean 'space'?)" in problems[0]
    assert "'strat' is not a gamepad button (did you mean 'start'?)" in problems[1]
    assert "'leftz' is not a gamepad axis (did you mean" in problems[2]
    assert control_problems(ControlsSection()) == []


def test_a_kiosk_show_ignores_window_close() -> None:
    display = PygameDisplay((64, 48), headless=True)
    display.open()
    source = WindowInput(ControlMap(ControlsSection(kiosk=True)))
    posted: list[Event] = []
    source.start(posted.append)
    try:
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        events = poll(source, posted)
        assert not any(isinstance(event, QuitRequested) for event in events)
        assert InputReceived("window", "close ignored (kiosk)") in events
    finally:
        source.stop()
        display.close()
