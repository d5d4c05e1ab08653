"""The control map: which key, gamepad button or axis does what, configured per show.

``[controls]`` in a show file is laid over documented defaults (``DEFAULT_KEYS``,
``DEFAULT_GAMEPAD_BUTTONS`` in the config schema). Input sources tell the map what happened
(``key_down``, ``button_down``, ``axis``) and post the events it returns. Actions:

- ``quit``, ``next_scene``, ``previous_scene``, ``blackout`` (toggle), ``overlay`` (toggle)
- ``trigger`` (the scene on screen), ``trigger:SCENE`` (that scene, even off screen)
- ``scene:SCENE`` (switch to it)
- ``game:place|left|right|up|down|new|any|cell:N`` (the stage game, ``scenes/tictactoe.py``)

In a kiosk show (``kiosk = true``) single keys bound to ``quit`` do nothing: only holding the
``quit_chord`` for ``quit_hold_seconds`` quits, so a visitor cannot end the show by accident.
Outside kiosk mode the chord works too. Gamepad axes steer live scene parameters through a
dead zone (``gamepad_axes``). Nothing from the config is ever evaluated as code: an action
is one of the names above.
"""

from __future__ import annotations

from installation.config.schema import ControlsSection
from installation.events import (
    Blackout,
    Event,
    GameInput,
    InputReceived,
    NextScene,
    PreviousScene,
    QuitRequested,
    SelectScene,
    SetParameter,
    ToggleOverlay,
    Trigger,
)


def action_event(action: str, source: str, control: str) -> Event | None:
    """The event for one action name (None for an unknown one, which the config refuses)."""
    verb, _, target = action.partition(":")
    if verb == "quit":
        return QuitRequested(f"{control} pressed ({source})")
    if verb == "next_scene":
        return NextScene()
    if verb == "previous_scene":
        return PreviousScene()
    if verb == "blackout":
        return Blackout()
    if verb == "overlay":
        return ToggleOverlay()
    if verb == "trigger":
        return Trigger(name=source, target=target or None)
    if verb == "scene" and target:
        return SelectScene(target)
    if verb == "game" and target:
        what, _, number = target.partition(":")
        if what == "cell":
            return GameInput("cell", int(number) - 1, source)
        return GameInput(what, None, source)
    return None


def dead_zoned(value: float, dead_zone: float) -> float:
    """``value`` in [-1, 1] with |value| < dead_zone read as 0 and the rest rescaled to [-1, 1]."""
    magnitude = abs(value)
    if magnitude <= dead_zone:
        return 0.0
    scaled = min(1.0, (magnitude - dead_zone) / (1.0 - dead_zone))
    return scaled if value > 0 else -scaled


class ControlMap:
    """Translates keys, buttons and axes into show events, following a show's ``[controls]``."""

    def __init__(self, controls: ControlsSection) -> None:
        self.controls = controls
        self.keys = controls.key_actions()
        self.buttons = controls.button_actions()
        self._chord = frozenset(key.lower() for key in controls.quit_chord)
        self._held: set[str] = set()
        self._chord_since: float | None = None
        self._chord_fired = False
        self._axis_values: dict[str, float] = {}

    def key_down(self, key: str, now: float) -> list[Event]:
        key = key.lower()
        self._held.add(key)
        events: list[Event] = [InputReceived("keyboard", key)]
        if self._chord <= self._held and self._chord_since is None:
            self._chord_since, self._chord_fired = now, False
            events += self.tick(now)
        action = self.keys.get(key)
        if action is not None and not (action == "quit" and self.controls.kiosk):
            event = action_event(action, "keyboard", key)
            if event is not None:
                events.append(event)
        return events

    def key_up(self, key: str) -> None:
        self._held.discard(key.lower())
        if not self._chord <= self._held:
            self._chord_since = None

    def tick(self, now: float) -> list[Event]:
        """Called once per frame: a quit chord held long enough quits (once)."""
        since = self._chord_since
        if since is None or self._chord_fired:
            return []
        if now - since >= self.controls.quit_hold_seconds:
            self._chord_fired = True
            return [QuitRequested(f"quit chord held ({' + '.join(sorted(self._chord))})")]
        return []

    def button_down(self, source: str, button: str) -> list[Event]:
        events: list[Event] = [InputReceived(source, f"button {button}")]
        action = self.buttons.get(button)
        if action is not None and not (action == "quit" and self.controls.kiosk):
            event = action_event(action, source, button)
            if event is not None:
                events.append(event)
        return events

    def axis(self, source: str, axis: str, value: float) -> list[Event]:
        """An axis moved to ``value`` in [-1, 1]; a bound axis sets its parameter on change."""
        binding = self.controls.gamepad_axes.get(axis)
        if binding is None:
            return []
        position = dead_zoned(value, self.controls.dead_zone)
        if self._axis_values.get(axis) == position:
            return []
        self._axis_values[axis] = position  # bounded: one entry per configured axis
        target = binding.low + (position + 1.0) / 2.0 * (binding.high - binding.low)
        return [
            InputReceived(source, f"axis {axis} {position:+.2f}"),
            SetParameter(binding.parameter, target, scene=binding.scene, source=source),
        ]
