"""What a control may do: the actions a key, button, hotkey or held look is bound to.

``[controls]`` (``ControlsSection`` in ``schema.py``) binds names to these actions, laid over
the defaults below; ``installation.inputs.controls`` turns them into events.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

ActionName = Annotated[
    str,
    Field(
        pattern=r"^(quit|next_scene|previous_scene|blackout|overlay|none|trigger(:.+)?|scene:.+"
        r"|game:(new|place|left|right|up|down|any|cell:[1-9]))$"
    ),
]
"""A control's action: one of ``ACTIONS``."""

ACTIONS: tuple[tuple[str, str], ...] = (
    ("quit", "end the show (in a kiosk show only holding quit_chord quits)"),
    ("next_scene", "the next scene of the playlist"),
    ("previous_scene", "the previous scene"),
    ("blackout", "fade the picture to black, and back (a toggle)"),
    ("overlay", "the stats overlay (fps, frame times, providers) on and off"),
    ("trigger", "trigger the scene on screen (the rainbow reveals a new image)"),
    ("trigger:SCENE", "trigger that scene (name or kind), even off screen"),
    ("scene:SCENE", "switch to that scene"),
    ("game:place", "the stage game: place a mark at the cursor"),
    ("game:left, game:right, game:up, game:down", "the stage game: move the cursor"),
    ("game:cell:N", "the stage game: place a mark in cell N (1-9, row by row from the top left)"),
    ("game:new", "the stage game: a new game"),
    ("game:any", "the stage game: wake the attract loop"),
    ("none", "nothing (unbinds a default)"),
)
"""Every action a key, button, hotkey or look may do (``ActionName``), with what it does."""

DEFAULT_KEYS: dict[str, str] = {
    "escape": "quit",
    "q": "quit",
    "right": "next_scene",
    "n": "next_scene",
    "left": "previous_scene",
    "p": "previous_scene",
    "space": "trigger",
    "return": "trigger",
    "b": "blackout",
    "tab": "overlay",
}
DEFAULT_GAMEPAD_BUTTONS: dict[str, str] = {
    "a": "trigger",
    "b": "blackout",
    "start": "next_scene",
    "dpright": "next_scene",
    "dpleft": "previous_scene",
    "back": "overlay",
}
