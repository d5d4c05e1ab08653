"""The input registry: one entry per kind of input, the show config section it reads, its factory.

``app.run_show`` builds the show's inputs with ``build_inputs`` and checks their settings
with ``input_problems`` before the window opens; it names no concrete input. A factory returns
None when its section turns the input off (``[osc] enabled = false``, no camera, no hotkeys),
so a new kind of input is one module plus one entry below. The opening hours come first:
a show started while closed is closed from its first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from installation.config.schema import ShowConfig
from installation.inputs.base import InputSource
from installation.inputs.controls import ControlMap
from installation.inputs.gaze.source import GazeInput
from installation.inputs.hotkeys import GlobalHotkeys, hotkey_problems
from installation.inputs.opening_hours import OpeningHoursInput
from installation.inputs.osc.addresses import OscAddressSpace, ShowFacts
from installation.inputs.osc.advertise import OscAdvertiser
from installation.inputs.osc.router import AllowList, OscRouter, RateLimiter
from installation.inputs.osc.server import OscInput
from installation.inputs.window import WindowInput, control_problems


@dataclass(frozen=True)
class InputKit:
    """What an input factory gets besides the show config: the show to ask, the run's stats."""

    facts: ShowFacts
    """The director, as the OSC address space asks it (scene names, parameter checks)."""
    count: Callable[[str, int], None]
    timing: Callable[[str, float], None]


InputFactory = Callable[[ShowConfig, InputKit], InputSource | None]


@dataclass(frozen=True)
class InputKind:
    """A kind of input: the show-file section that configures it, and its factory."""

    section: str
    factory: InputFactory


def _window(config: ShowConfig, kit: InputKit) -> InputSource:
    return WindowInput(ControlMap(config.controls))


def _osc(config: ShowConfig, kit: InputKit) -> InputSource | None:
    settings = config.osc
    if not settings.enabled:
        return None
    router = OscRouter(
        OscAddressSpace(config.controls.osc),
        kit.facts,
        AllowList(settings.allow),
        RateLimiter(settings.rate_limit, settings.rate_burst),
        kit.count,
        max_schedule_seconds=settings.max_schedule_seconds,
    )
    advertiser = OscAdvertiser() if settings.advertise else None
    return OscInput(settings, router, advertiser=advertiser, show_name=config.show.name)


def _gaze(config: ShowConfig, kit: InputKit) -> InputSource | None:
    if not (config.camera.enabled and config.gaze.enabled):
        return None
    return GazeInput(
        config.camera, config.gaze, config.controls.gaze, count=kit.count, timing=kit.timing
    )


def _hotkeys(config: ShowConfig, kit: InputKit) -> InputSource | None:
    hotkeys = GlobalHotkeys(config.controls)
    return hotkeys if hotkeys.hotkeys else None  # no hotkeys: no listener, no warning


def _schedule(config: ShowConfig, kit: InputKit) -> InputSource | None:
    return OpeningHoursInput(config.schedule) if config.schedule.enabled else None


INPUT_KINDS: dict[str, InputKind] = {
    "schedule": InputKind("schedule", _schedule),
    "window": InputKind("controls", _window),
    "osc": InputKind("osc", _osc),
    "gaze": InputKind("camera", _gaze),
    "hotkeys": InputKind("controls", _hotkeys),
}
"""Input kind -> the ``[section]`` that configures it and its factory, in start order."""


def build_inputs(config: ShowConfig, kit: InputKit) -> list[InputSource]:
    """The show's inputs (those its config turns on), in ``INPUT_KINDS`` order."""
    built = (kind.factory(config, kit) for kind in INPUT_KINDS.values())
    return [source for source in built if source is not None]


def input_problems(config: ShowConfig) -> list[str]:
    """What in ``[controls]`` names a key, button, address or scene that does not exist."""
    scene_names = {s.label for s in config.scenes} | {s.kind for s in config.scenes}
    problems = control_problems(config.controls) + OscAddressSpace(config.controls.osc).problems()
    return problems + hotkey_problems(config.controls.hotkeys, scene_names)
