"""The control map: keys, buttons and axes become show events as a show's [controls] says."""

from __future__ import annotations

import pytest

from installation.config.schema import AxisBinding, ControlsSection
from installation.events import (
    Blackout,
    InputReceived,
    NextScene,
    PreviousScene,
    QuitRequested,
    SelectScene,
    SetParameter,
    ToggleOverlay,
    Trigger,
)
from installation.inputs.controls import ControlMap, action_event, dead_zoned


def actions(events: list[object]) -> list[object]:
    return [event for event in events if not isinstance(event, InputReceived)]


def test_default_keys() -> None:
    controls = ControlMap(ControlsSection())
    assert actions(controls.key_down("right", 0.0)) == [NextScene()]
    assert actions(controls.key_down("left", 0.0)) == [PreviousScene()]
    assert actions(controls.key_down("space", 0.0)) == [Trigger("keyboard")]
    assert actions(controls.key_down("b", 0.0)) == [Blackout()]
    assert actions(controls.key_down("tab", 0.0)) == [ToggleOverlay()]
    (quit_event,) = actions(controls.key_down("escape", 0.0))
    assert isinstance(quit_event, QuitRequested) and "escape" in quit_event.reason
    assert actions(controls.key_down("x", 0.0)) == []
    assert controls.key_down("x", 0.0) == [InputReceived("keyboard", "x")]


def test_show_keys_override_and_unbind_defaults() -> None:
    controls = ControlMap(
        ControlsSection(keys={"space": "trigger:rainbow", "R": "scene:lamp", "q": "none"})
    )
    assert actions(controls.key_down("space", 0.0)) == [Trigger("keyboard", target="rainbow")]
    assert actions(controls.key_down("r", 0.0)) == [SelectScene("lamp")]
    assert actions(controls.key_down("q", 0.0)) == []
    assert actions(controls.key_down("return", 0.0)) == [Trigger("keyboard")]  # still default


def test_kiosk_quits_only_on_the_held_chord() -> None:
    controls = ControlMap(ControlsSection(kiosk=True, quit_hold_seconds=2.0))
    assert actions(controls.key_down("escape", 0.0)) == []
    for key in ("left ctrl", "left shift"):
        controls.key_down(key, 1.0)
    assert actions(controls.key_down("q", 1.0)) == []  # q is bound to quit: ignored in kiosk
    assert controls.tick(2.9) == []
    (event,) = controls.tick(3.0)
    assert isinstance(event, QuitRequested) and "chord" in event.reason
    assert controls.tick(3.5) == []  # once


def test_letting_go_of_the_chord_resets_the_hold() -> None:
    controls = ControlMap(ControlsSection(kiosk=True, quit_hold_seconds=1.0))
    for key in ("left ctrl", "left shift", "q"):
        controls.key_down(key, 0.0)
    controls.key_up("left shift")
    assert controls.tick(5.0) == []
    controls.key_down("left shift", 5.0)
    assert controls.tick(5.5) == []
    assert len(controls.tick(6.0)) == 1


def test_gamepad_buttons() -> None:
    controls = ControlMap(ControlsSection(gamepad_buttons={"y": "trigger:rainbow"}))
    assert controls.button_down("gamepad 1", "a") == [
        InputReceived("gamepad 1", "button a"),
        Trigger("gamepad 1"),
    ]
    assert actions(controls.button_down("gamepad 2", "y")) == [
        Trigger("gamepad 2", target="rainbow")
    ]
    assert actions(controls.button_down("gamepad 1", "dpleft")) == [PreviousScene()]
    assert actions(controls.button_down("gamepad 1", "button7")) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, 0.0), (0.1, 0.0), (-0.2, 0.0), (0.6, 0.5), (-0.6, -0.5), (1.0, 1.0), (-1.0, -1.0)],
)
def test_dead_zone(value: float, expected: float) -> None:
    assert dead_zoned(value, 0.2) == pytest.approx(expected)


def test_axis_steers_a_live_parameter_on_change_only() -> None:
    binding = AxisBinding(scene="lamp", parameter="hue_shift", low=-180.0, high=180.0)
    controls = ControlMap(ControlsSection(gamepad_axes={"leftx": binding}, dead_zone=0.2))
    (_, event) = controls.axis("gamepad 1", "leftx", 0.6)
    assert event == SetParameter("hue_shift", 90.0, scene="lamp", source="gamepad 1")
    assert controls.axis("gamepad 1", "leftx", 0.6) == []  # unchanged: nothing new
    assert actions(controls.axis("gamepad 1", "leftx", 0.05)) == [
        SetParameter("hue_shift", 0.0, scene="lamp", source="gamepad 1")
    ]
    assert controls.axis("gamepad 1", "righty", 1.0) == []  # unbound axis


def test_every_config_action_has_an_event() -> None:
    for action in ("quit", "next_scene", "previous_scene", "blackout", "overlay", "trigger"):
        assert action_event(action, "test", "k") is not None
    assert action_event("trigger:rainbow", "t", "k") == Trigger("t", target="rainbow")
    assert action_event("scene:lamp", "t", "k") == SelectScene("lamp")
    assert action_event("explode", "t", "k") is None


def test_stage_game_actions() -> None:
    from installation.events import GameInput

    assert action_event("game:cell:5", "keyboard", "5") == GameInput("cell", 4, "keyboard")
    assert action_event("game:place", "gamepad 3", "a") == GameInput("place", None, "gamepad 3")
    assert action_event("game:left", "gamepad 3", "dpleft") == GameInput("left", None, "gamepad 3")
    controls = ControlsSection(keys={"7": "game:cell:7", "n": "game:new"})
    events = ControlMap(controls).key_down("7", 0.0)
    assert GameInput("cell", 6, "keyboard") in events
    with pytest.raises(ValueError):
        ControlsSection(keys={"0": "game:cell:0"})  # cells are 1-9
