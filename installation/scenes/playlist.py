"""The show's scenes as the outside world asks about them: names, and live parameter checks.

``Playlist`` is the director's read-only half (the director subclasses it): the OSC address
space asks it, from its own thread, whether a scene exists and whether a live parameter
change would be applied (``ShowFacts`` in ``inputs/osc/addresses.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from installation.events import ParameterValue
from installation.scenes.base import Scene


class Playlist:
    """The scenes in playlist order and the one on screen (``index``)."""

    def __init__(self, scenes: Sequence[Scene[Any]]) -> None:
        if not scenes:
            raise ValueError("the director needs at least one scene")
        self.scenes = list(scenes)
        self.index = 0

    @property
    def current(self) -> Scene[Any]:
        return self.scenes[self.index]

    def find(self, target: str) -> int | None:
        """Index of the scene named ``target`` (its name first, then its kind)."""
        for index, scene in enumerate(self.scenes):
            if scene.name == target:
                return index
        for index, scene in enumerate(self.scenes):
            if scene.matches(target):
                return index
        return None

    def validated(
        self, scene_name: str | None, name: str, value: ParameterValue
    ) -> tuple[Scene[Any], Any] | str:
        """The scene and its settings with ``name = value``, or why that cannot be.

        Reads only (safe from an input thread, which checks a value before posting it).
        """
        index = self.index if scene_name is None else self.find(scene_name)
        if index is None:
            return f"no scene named {scene_name!r}"
        scene = self.scenes[index]
        settings = scene.settings
        if name not in settings.live_parameters:
            live = ", ".join(sorted(settings.live_parameters)) or "none"
            return f"{scene.name}: {name!r} is not live (live: {live})"
        try:
            # Strict: a string never becomes a number, a bool never a float.
            updated = type(settings).model_validate(
                settings.model_dump() | {name: value}, strict=True
            )
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            return f"{scene.name}: {name} = {value!r}: {reason}"
        return scene, updated

    def check_parameter(
        self, scene_name: str | None, name: str, value: ParameterValue
    ) -> str | None:
        """None when ``SetParameter(name, value, scene_name)`` would be applied; else why not."""
        result = self.validated(scene_name, name, value)
        return result if isinstance(result, str) else None

    def scene_names(self) -> list[str]:
        """The scenes' names in playlist order."""
        return [scene.name for scene in self.scenes]

    def has_scene(self, target: str) -> bool:
        return self.find(target) is not None
