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

from pydantic import Field, create_model, field_validator

from installation.config.actions import DEFAULT_GAMEPAD_BUTTONS, DEFAULT_KEYS, ActionName
from installation.config.gaze_schema import CameraSection, GazeSection
from installation.config.paths import Table as Section
from installation.config.posting_schema import PostingSection
from installation.config.schedule_schema import ScheduleSection

ProviderName = Literal["tensorrt", "cuda", "cpu"]
ModelKind = Literal["lava_lamp", "generator", "gaze"]
Fit = Literal["contain", "cover", "stretch"]
Size = tuple[Annotated[int, Field(ge=16, le=16384)], Annotated[int, Field(ge=16, le=16384)]]
Colour = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]


class ShowSection(Section):
    """``[show]``: the show's name, frame rate and scene crossfade."""

    name: str = Field(
        "Untitled show",
        description="the window title; also {show} in post captions and the OSC service name",
    )
    fps: int = Field(30, ge=1, le=240, description="frames per second the loop paces to")
    crossfade_seconds: float = Field(
        2.0, ge=0.0, le=60.0, description="crossfade between scenes; 0 = cut"
    )


class DisplaySection(Section):
    """``[display]``: where and how the show is drawn."""

    fullscreen: bool = Field(True, description="false = a window (or `run --windowed`)")
    display: int = Field(
        0, ge=0, le=15, description="monitor index for fullscreen (or `run --display N`)"
    )
    vsync: bool = Field(True, description="sync to the screen's refresh where the driver offers it")
    render_size: Size = Field(
        (960, 540),
        description="the canvas [width, height]; the GPU scales it to the screen with linear "
        "filtering",
    )
    window_size: Size = Field((1280, 720), description="[width, height] when not fullscreen")
    background: Colour = Field((0, 0, 0), description="[R, G, B] behind letterboxed images")
    hide_cursor: bool = Field(True, description="hide the mouse pointer in fullscreen")


class RuntimeSection(Section):
    """``[runtime]``: the onnxruntime execution providers and CPU threads."""

    providers: tuple[ProviderName, ...] = Field(
        ("tensorrt", "cuda", "cpu"),
        min_length=1,
        description="onnxruntime providers in preference order; the first that really loads "
        "wins, and the CPU is always the last resort",
    )
    cpu_threads: int = Field(
        0, ge=0, le=256, description="inference threads shared by all models; 0 = cores - 1"
    )
    warmup_runs: int = Field(
        3, ge=0, le=100, description="runs of each model before the first frame"
    )


class GallerySection(Section):
    """``[gallery]``: where revealed images are saved (PNG + JSON to re-render them)."""

    enabled: bool = Field(True, description="save every revealed image (the rainbow scene)")
    folder: Path = Field(
        Path("../gallery"),
        description="where, relative to the show file: a PNG and a JSON that re-renders it "
        "(`installation rainbow --from FILE.json`)",
    )
    max_images: int = Field(
        20_000,
        ge=0,
        description="keep at most this many images, the oldest removed first (0 = no limit)",
    )
    max_megabytes: float = Field(
        4_000.0,
        ge=0.0,
        description="keep the gallery under this many MB, the oldest removed first (0 = no limit)",
    )


class ModelEntry(Section):
    """``[models.NAME]``: one ONNX file and the contract kind it must follow."""

    path: Path = Field(description="the ONNX file, relative to the show file")
    kind: ModelKind = Field(description="the model contract the file must follow (checked at load)")


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

    kind: str = Field(description="the scene kind: picks the scene and the keys it takes")
    model: str | None = Field(
        None, description="a model from [models] of the kind this scene needs"
    )
    name: str | None = Field(
        None,
        description="the scene's name in logs, controls (trigger:NAME, scene:NAME) and OSC; "
        "unset = its kind",
    )
    duration_seconds: float = Field(
        0.0,
        ge=0.0,
        le=1e7,
        description="hand over to the next scene after this long; 0 = stay until the next "
        "scene is asked for",
    )
    fit: Fit = Field(
        "contain",
        description="how an image fills the canvas: contain (letterbox), cover (crop), stretch",
    )
    show_on_trigger: bool = Field(
        True,
        description="a trigger meant for this scene while another is shown switches to it; "
        "false: the scene works off screen",
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


class AxisBinding(Section):
    """A gamepad axis steering one live parameter: [-1, 1] maps linearly onto [low, high]."""

    scene: str | None = Field(None, description="scene name or kind; unset = the scene on screen")
    parameter: str = Field(description="a live parameter of that scene")
    low: float = Field(description="the parameter's value at one end (-1, or 0 for gaze)")
    high: float = Field(description="the parameter's value at the other end (+1, or 1 for gaze)")


class OscBinding(Section):
    """``[controls.osc."/ADDRESS"]``: an address of this show's rig bound to a standard one.

    ``to`` names a standard address (``/lava/hue``) or ``none`` (the address is ignored:
    with a binding of a new address to it, a standard address is *renamed*). Numbers that
    arrive are read as ``value * scale + offset`` before the standard address checks them.
    """

    to: str = Field(
        pattern=r"^(none|/[^\s#*,?\[\]{}]*)$",
        description="a standard address (/lava/hue), or none: the address is ignored",
    )
    scale: float = Field(1.0, description="numbers are read as value * scale + offset")
    offset: float = Field(0.0, description="added after scale")
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
        (), description="scenes (name or kind) steered by the gaze point; [] = the one on screen"
    )
    steer: bool = Field(True, description="false: the gaze point steers no scene")
    x: AxisBinding | None = Field(
        None,
        description="a live parameter steered by the gaze's x: the screen's left edge maps to "
        "low, its right edge to high",
    )
    y: AxisBinding | None = Field(
        None,
        description="a live parameter steered by the gaze's y: the screen's top edge maps to "
        "low, its bottom edge to high",
    )
    dwell_seconds: float = Field(
        2.5, gt=0.0, le=600.0, description="a look held this long does dwell_action"
    )
    dwell_radius: float = Field(
        0.08, gt=0.0, le=1.0, description="how still a held look is: a share of the screen width"
    )
    dwell_action: ActionName = Field("trigger", description="an action (none: nothing)")
    dwell_cooldown_seconds: float = Field(
        8.0, ge=0.0, le=3600.0, description="after a dwell, none again for this long"
    )


class ControlsSection(Section):
    """``[controls]``: which key, gamepad button or axis does what (merged over the defaults)."""

    keys: dict[str, ActionName] = Field(
        default_factory=dict,
        description="key name (SDL: space, return, left, f1, a) -> action, laid over the "
        "default keys; none unbinds",
    )
    gamepad_buttons: dict[str, ActionName] = Field(
        default_factory=dict,
        description="button name (a, b, x, y, start, back, dpleft ...) -> action, laid over "
        "the default buttons; none unbinds",
    )
    gamepad_axes: dict[str, AxisBinding] = Field(
        default_factory=dict, description="axis name (leftx, lefty ...) -> the parameter it steers"
    )
    dead_zone: float = Field(0.2, ge=0.0, lt=1.0, description="axis values below are read as 0")
    kiosk: bool = Field(
        False, description="quit only by holding quit_chord (keys bound to quit do nothing)"
    )
    quit_chord: tuple[str, ...] = Field(
        ("left ctrl", "left shift", "q"),
        min_length=1,
        max_length=5,
        description="key names (SDL) held together for quit_hold_seconds to quit; works "
        "outside kiosk mode too",
    )
    quit_hold_seconds: float = Field(
        2.0, ge=0.0, le=30.0, description="how long quit_chord is held"
    )
    osc: dict[str, OscBinding] = Field(
        default_factory=dict, description="OSC addresses of this rig -> standard addresses"
    )
    gaze: GazeControls = GazeControls()
    hotkeys: dict[str, ActionName] = Field(
        default_factory=dict,
        description="global operator hotkeys -> action, none by default. pynput syntax: keys "
        "joined by +, a character or a named key in <> (<ctrl>, <alt>, <cmd>, <shift>, <f9>, "
        "<page_up>), with at least one named key other than <shift>. They work while the show "
        "window has no focus and need a display (X11 on Linux, the Accessibility permission on "
        "macOS); without one the show runs without them",
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

    host: str = Field(min_length=1, description="the peer's host name or address")
    port: int = Field(ge=1, le=65535, description="the peer's UDP port")


class OscSection(Section):
    """``[osc]``: the OSC server that performers, controllers and games talk to, and OSC out.

    The server listens on ``host``:``port`` (loopback by default; ``0.0.0.0`` listens on the
    LAN) and accepts datagrams only from ``allow`` (addresses or networks; loopback by
    default); anyone else's are dropped and counted (``osc_denied``).
    """

    enabled: bool = Field(True, description="false (or `run --no-osc`): no OSC in or out")
    host: str = Field(
        "127.0.0.1",
        min_length=1,
        description="where the server listens; 0.0.0.0 = every interface (the LAN)",
    )
    port: int = Field(
        9000, ge=0, le=65535, description="0 = any free port (logged); or `run --osc-port N`"
    )
    allow: tuple[str, ...] = Field(
        ("127.0.0.0/8", "::1"),
        description="senders let in: addresses or networks (192.168.1.0/24); datagrams from "
        "anyone else are dropped and counted (osc_denied)",
    )
    rate_limit: float = Field(
        500.0, gt=0.0, le=1e6, description="datagrams per second one sender (host) may send"
    )
    rate_burst: int = Field(
        200,
        ge=1,
        le=1_000_000,
        description="datagrams a sender may send over the rate; the excess is dropped and counted",
    )
    max_scheduled: int = Field(
        1024, ge=0, le=100_000, description="bundles with a future timetag held at once"
    )
    max_schedule_seconds: float = Field(
        60.0, ge=0.0, le=3600.0, description="a timetag further ahead is refused"
    )
    advertise: bool = Field(False, description="announce _osc._udp over zeroconf (mDNS)")
    service_name: str | None = Field(None, description="zeroconf name; unset = the show's")
    targets: tuple[OscTarget, ...] = Field(
        (), description="peers (lights, sound, stage manager) that hear what the show does"
    )
    heartbeat_seconds: float = Field(
        1.0,
        gt=0.0,
        le=3600.0,
        description="how often /installation/fps and /installation/heartbeat go out",
    )

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
    """A whole show file (``show_schema`` adds the scene kinds' settings)."""

    show: ShowSection = ShowSection()
    display: DisplaySection = DisplaySection()
    runtime: RuntimeSection = RuntimeSection()
    gallery: GallerySection = GallerySection()
    controls: ControlsSection = ControlsSection()
    osc: OscSection = OscSection()
    posting: PostingSection = PostingSection()
    camera: CameraSection = CameraSection()
    gaze: GazeSection = GazeSection()
    schedule: ScheduleSection = ScheduleSection()
    models: dict[str, ModelEntry] = Field(
        default_factory=dict, description="one table per model; scenes name them"
    )
    scenes: list[SceneSettings] = Field(
        min_length=1, description="the playlist, in order; at least one"
    )


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
