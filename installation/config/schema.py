"""The show config schema: frozen pydantic models, one per TOML table.

A show file is validated completely before any window opens (see ``loader.py``);
unknown keys are errors, values out of range are errors. Secrets never live here:
later features name environment variables instead.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from installation.config.gaze_schema import CameraSection, GazeSection
from installation.config.posting_schema import PostingSection

ProviderName = Literal["tensorrt", "cuda", "cpu"]
ModelKind = Literal["lava_lamp", "generator", "gaze"]
Fit = Literal["contain", "cover", "stretch"]
Size = tuple[Annotated[int, Field(ge=16, le=16384)], Annotated[int, Field(ge=16, le=16384)]]
Colour = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]


class Section(BaseModel):
    """Base of every table: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ShowSection(Section):
    """``[show]``: the show's name, frame rate and scene crossfade."""

    name: str = "Untitled show"
    fps: int = Field(30, ge=1, le=240, description="frames per second the loop paces to")
    crossfade_seconds: float = Field(2.0, ge=0.0, le=60.0)


class DisplaySection(Section):
    """``[display]``: where and how the show is drawn."""

    fullscreen: bool = True
    display: int = Field(0, ge=0, le=15, description="monitor index for fullscreen")
    vsync: bool = True
    render_size: Size = (960, 540)
    window_size: Size = (1280, 720)
    background: Colour = (0, 0, 0)
    hide_cursor: bool = True


class RuntimeSection(Section):
    """``[runtime]``: onnxruntime execution providers and CPU threads."""

    providers: tuple[ProviderName, ...] = Field(("tensorrt", "cuda", "cpu"), min_length=1)
    cpu_threads: int = Field(0, ge=0, le=256, description="0 = cores - 1, shared by all models")
    warmup_runs: int = Field(3, ge=0, le=100)


class GallerySection(Section):
    """``[gallery]``: where revealed images are saved (PNG + JSON to re-render them)."""

    enabled: bool = True
    folder: Path = Path("../gallery")


class ModelEntry(Section):
    """``[models.NAME]``: one ONNX file and the contract kind it must follow."""

    path: Path
    kind: ModelKind


def scene_label(name: str | None, kind: str) -> str:
    """A scene's name in logs, events and controls: its ``name``, else its kind in words."""
    return name or kind.replace("_", " ")


class SceneSettings(Section):
    """Keys every scene has. Each scene kind's settings subclass this beside its scene
    (``installation/scenes/<kind>.py``) and add a ``kind`` literal; the scene registry
    collects them, and ``show_schema`` turns them into the show file's schema.

    ``model_kind`` is the model kind the scene needs (None: it needs no model).
    ``live_parameters`` are the keys that may change while the show runs (``SetParameter``).
    """

    model_kind: ClassVar[ModelKind | None] = None
    live_parameters: ClassVar[frozenset[str]] = frozenset()

    kind: str
    model: str | None = None
    name: str | None = None
    duration_seconds: float = Field(
        0.0, ge=0.0, le=1e7, description="0 = stay until the next scene is asked for"
    )
    fit: Fit = "contain"
    show_on_trigger: bool = Field(
        True, description="a trigger meant for this scene while another is shown switches to it"
    )
    return_after_seconds: float = Field(
        0.0,
        ge=0.0,
        le=86400.0,
        description="after a switch by trigger, go back to the scene before after N s; 0 = stay",
    )

    @property
    def label(self) -> str:
        """The scene's name in logs and events: its ``name``, else its kind."""
        return scene_label(self.name, self.kind)


ActionName = Annotated[
    str,
    Field(
        pattern=r"^(quit|next_scene|previous_scene|blackout|overlay|none|trigger(:.+)?|scene:.+"
        r"|game:(new|place|left|right|up|down|any|cell:[1-9]))$"
    ),
]
"""A control's action: ``quit``, ``next_scene``, ``previous_scene``, ``blackout``, ``overlay``,
``trigger`` (the scene on screen), ``trigger:SCENE``, ``scene:SCENE``, ``none`` (unbound), or a
stage-game control: ``game:place``, ``game:left|right|up|down`` (the cursor), ``game:cell:N``
(N = 1-9, row by row from the top left, as on a phone keypad), ``game:new``,
``game:any`` (wakes the attract loop)."""

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


class AxisBinding(Section):
    """A gamepad axis steering one live parameter: [-1, 1] maps linearly onto [low, high]."""

    scene: str | None = Field(None, description="scene name or kind; unset = the scene on screen")
    parameter: str
    low: float
    high: float


class OscBinding(Section):
    """``[controls.osc."/ADDRESS"]``: an address of this show's rig bound to a standard one.

    ``to`` names a standard address (``/lava/hue``) or ``none`` (the address is ignored:
    with a binding of a new address to it, a standard address is *renamed*). Numbers that
    arrive are read as ``value * scale + offset`` before the standard address checks them.
    """

    to: str = Field(pattern=r"^(none|/[^\s#*,?\[\]{}]*)$")
    scale: float = 1.0
    offset: float = 0.0
    button: bool = Field(
        False,
        description="a controller's push button: 0 (release) does nothing, and the press's "
        "value is not passed on (so a button bound to /rainbow/trigger is not read as a seed)",
    )


class GazeControls(Section):
    """``[controls.gaze]``: what a visitor's gaze point steers (``[gaze]`` tracks it).

    ``point`` names the scenes steered to where the visitor looks (the rainbow's latent plane,
    the lava lamp's stirring); ``x`` and ``y`` may each set a live parameter, like a gamepad
    axis (0 = left/top of the screen maps to ``low``). A look held within ``dwell_radius`` (a
    share of the screen's width) for ``dwell_seconds`` does ``dwell_action`` (``none``: nothing),
    then not again for ``dwell_cooldown_seconds``.
    """

    point: tuple[str, ...] = Field(
        (), description="scenes (name or kind) steered by the gaze point; () = the one on screen"
    )
    steer: bool = Field(True, description="false: the gaze point steers no scene")
    x: AxisBinding | None = None
    y: AxisBinding | None = None
    dwell_seconds: float = Field(2.5, gt=0.0, le=600.0)
    dwell_radius: float = Field(0.08, gt=0.0, le=1.0)
    dwell_action: ActionName = "trigger"
    dwell_cooldown_seconds: float = Field(8.0, ge=0.0, le=3600.0)


class ControlsSection(Section):
    """``[controls]``: which key, gamepad button or axis does what (merged over the defaults)."""

    keys: dict[str, ActionName] = Field(default_factory=dict)
    gamepad_buttons: dict[str, ActionName] = Field(default_factory=dict)
    gamepad_axes: dict[str, AxisBinding] = Field(default_factory=dict)
    dead_zone: float = Field(0.2, ge=0.0, lt=1.0, description="axis values below are read as 0")
    kiosk: bool = Field(
        False, description="quit only by holding quit_chord (keys bound to quit do nothing)"
    )
    quit_chord: tuple[str, ...] = Field(
        ("left ctrl", "left shift", "q"), min_length=1, max_length=5
    )
    quit_hold_seconds: float = Field(2.0, ge=0.0, le=30.0)
    osc: dict[str, OscBinding] = Field(
        default_factory=dict, description="OSC addresses of this rig -> standard addresses"
    )
    gaze: GazeControls = GazeControls()
    hotkeys: dict[str, ActionName] = Field(
        default_factory=dict,
        description="global operator hotkeys (pynput syntax, e.g. '<ctrl>+<alt>+n'): work "
        "while the show window has no focus",
    )

    def key_actions(self) -> dict[str, str]:
        """The defaults with this show's keys laid over them (``none`` unbinds)."""
        return _merged(DEFAULT_KEYS, self.keys)

    def button_actions(self) -> dict[str, str]:
        return _merged(DEFAULT_GAMEPAD_BUTTONS, self.gamepad_buttons)


def _merged(defaults: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    merged = {**defaults, **{name.lower(): action for name, action in overrides.items()}}
    return {name: action for name, action in merged.items() if action != "none"}


class OscTarget(Section):
    """``[[osc.targets]]``: a peer (lights, sound, stage manager) that hears what the show does."""

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)


class OscSection(Section):
    """``[osc]``: the OSC server that performers, controllers and games talk to, and OSC out.

    The server listens on ``host``:``port`` (loopback by default; ``0.0.0.0`` listens on the
    LAN) and accepts datagrams only from ``allow`` (addresses or networks; loopback by
    default); anyone else's are dropped and counted (``osc_denied``).
    """

    enabled: bool = True
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(9000, ge=0, le=65535, description="0 = any free port (logged)")
    allow: tuple[str, ...] = Field(("127.0.0.0/8", "::1"), description="senders let in")
    rate_limit: float = Field(
        500.0, gt=0.0, le=1e6, description="datagrams per second one sender may send"
    )
    rate_burst: int = Field(200, ge=1, le=1_000_000, description="datagrams over the rate")
    max_scheduled: int = Field(
        1024, ge=0, le=100_000, description="bundles with a future timetag held at once"
    )
    max_schedule_seconds: float = Field(
        60.0, ge=0.0, le=3600.0, description="a timetag further ahead is refused"
    )
    advertise: bool = Field(False, description="announce _osc._udp over zeroconf (mDNS)")
    service_name: str | None = Field(None, description="zeroconf name; unset = the show's")
    targets: tuple[OscTarget, ...] = ()
    heartbeat_seconds: float = Field(1.0, gt=0.0, le=3600.0)

    @field_validator("allow")
    @classmethod
    def _networks(cls, allow: tuple[str, ...]) -> tuple[str, ...]:
        for entry in allow:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. '192.168.1.0/24')"
                ) from None
        return allow


class ShowConfig(Section):
    """A whole show file. ``source`` is the file it came from (set by the loader)."""

    show: ShowSection = ShowSection()
    display: DisplaySection = DisplaySection()
    runtime: RuntimeSection = RuntimeSection()
    gallery: GallerySection = GallerySection()
    controls: ControlsSection = ControlsSection()
    osc: OscSection = OscSection()
    posting: PostingSection = PostingSection()
    camera: CameraSection = CameraSection()
    gaze: GazeSection = GazeSection()
    models: dict[str, ModelEntry] = Field(default_factory=dict)
    scenes: list[SceneSettings] = Field(min_length=1)


def show_schema(scene_settings: Sequence[type[SceneSettings]]) -> type[ShowConfig]:
    """The show file's schema for these scene kinds: ``scenes`` is a union tagged by ``kind``.

    Config knows no scene; the scene registry passes the settings classes in.
    """
    if len(scene_settings) == 1:
        entry: Any = scene_settings[0]
    else:
        entry = Annotated[Union[tuple(scene_settings)], Field(discriminator="kind")]  # noqa: UP007
    return create_model(
        "ShowConfig",
        __base__=ShowConfig,
        scenes=(list[entry], Field(min_length=1)),
    )
