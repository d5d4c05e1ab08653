"""Events: frozen dataclasses that inputs post, the frame loop drains, and outputs receive.

Inputs, scenes and outputs never call each other; they meet here. Input sources post
*input events* to the ``EventQueue`` (safe from any thread, never blocks the poster); the frame
loop hands them to the director once per frame. Scenes announce what they did with *output
events* on the output bus (``installation.outputs.base.OutputBus``), never on the input queue.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ParameterValue = bool | int | float | str
"""What a live parameter change may carry (validated against the scene's settings)."""

ReplyTo = tuple[str, int]
"""Where an answer goes: a peer's host and UDP port (an OSC sender asking for status)."""


@dataclass(frozen=True)
class Event:
    """Base of every event."""


# Input events: posted by input sources (window, gamepads, OSC, camera) ----------------------


@dataclass(frozen=True)
class InputReceived(Event):
    """Something arrived from a device or peer (shown by the stats overlay as 'last input').

    ``source`` names the input (``keyboard``, ``gamepad 0``), ``what`` says what it was.
    """

    source: str
    what: str


@dataclass(frozen=True)
class DeviceChanged(Event):
    """A device was plugged in (``connected``) or pulled out during the show (a gamepad)."""

    source: str
    device: str
    connected: bool


@dataclass(frozen=True)
class QuitRequested(Event):
    """The operator asked the show to stop (a quit control, window close, signal)."""

    reason: str = "requested"


@dataclass(frozen=True)
class NextScene(Event):
    """Move to the next scene of the playlist now (crossfade as configured)."""


@dataclass(frozen=True)
class PreviousScene(Event):
    """Move to the previous scene of the playlist now."""


@dataclass(frozen=True)
class SelectScene(Event):
    """Move to the scene with this name (or kind) now."""

    name: str


@dataclass(frozen=True)
class Blackout(Event):
    """Fade the picture to black (``on``), back (``not on``), or toggle (``on is None``)."""

    on: bool | None = None


@dataclass(frozen=True)
class OpeningHours(Event):
    """The show's opening hours (``[schedule]``) say it is now ``open`` or closed; posted at
    start and on each change. ``reason`` says why, in words (``closes at 18:00``)."""

    open: bool
    reason: str


@dataclass(frozen=True)
class ToggleOverlay(Event):
    """Show or hide the stats overlay."""


@dataclass(frozen=True)
class Trigger(Event):
    """Something should happen now (reveal a rainbow, ...).

    ``target`` names the scene meant (by name or kind); None means the scene on screen. A
    targeted trigger reaches its scene even while another is on screen. ``name`` says what
    asked (``keyboard``, ``auto``, ``osc``). ``seed`` asks for one particular result
    (the rainbow of ``installation rainbow --seed N``); ``caption`` travels with the result.
    ``at`` is when it was posted (``perf_counter``), so latency includes the queue.
    """

    name: str = "manual"
    target: str | None = None
    seed: int | None = None
    caption: str | None = None
    at: float = field(default_factory=time.perf_counter, compare=False)


@dataclass(frozen=True)
class SetParameter(Event):
    """Change one setting of a scene while the show runs (``hue_shift`` of the lava lamp, ...).

    ``scene`` names the scene (by name or kind); None means the scene on screen. The value is
    validated against that scene's settings (type and range); a bad value is refused and
    counted, never applied.
    """

    name: str
    value: ParameterValue
    scene: str | None = None
    source: str = "manual"


@dataclass(frozen=True)
class ResetScene(Event):
    """Start a scene over from its seed (the lava lamp's first latent); None = on screen."""

    scene: str | None = None
    source: str = "manual"


@dataclass(frozen=True)
class PointAt(Event):
    """A point ``(x, y)`` in [0, 1]^2 steers a scene (the rainbow's plane through latent space).

    ``scene`` names the scene (by name or kind); None means the scene on screen.
    """

    x: float
    y: float
    scene: str | None = None
    source: str = "manual"


GazeState = str
"""``no_camera``, ``no_face``, ``uncalibrated`` (eyes seen, no gaze model yet) or ``tracking``."""


@dataclass(frozen=True, eq=False)
class GazeSeen(Event):
    """What the camera's gaze tracker sees now, for the operator overlay (each camera frame).

    ``point`` is the smoothed gaze point in [0, 1]^2 (None unless ``tracking``); ``face`` and
    ``eyes`` are boxes (x, y, w, h) as shares of the camera frame; ``thumbnail`` is a small
    RGB copy of the camera frame. It lives in memory only: nothing saves, posts or sends it.
    ``latency_ms`` is from the camera frame's arrival to this event.
    """

    state: GazeState
    confidence: float = 0.0
    point: tuple[float, float] | None = None
    face: tuple[float, float, float, float] | None = None
    eyes: tuple[tuple[float, float, float, float], ...] = ()
    thumbnail: NDArray[np.uint8] | None = None
    latency_ms: float = 0.0


@dataclass(frozen=True)
class StatusRequested(Event):
    """A peer asked what the show is doing (``/show/status``); the answer goes to ``reply_to``."""

    reply_to: ReplyTo


@dataclass(frozen=True)
class PingReceived(Event):
    """A peer asked whether the show is alive (``/ping``); the frame loop answers ``Pong``."""

    reply_to: ReplyTo


@dataclass(frozen=True)
class GameInput(Event):
    """A player's input to the stage game: ``place`` (at the cursor), ``cell`` (0-8, row by row
    from the top left), ``left``/``right``/``up``/``down`` (move the cursor), ``new`` (a new
    game), ``any`` (any other button: wakes the attract loop)."""

    action: str
    cell: int | None = None
    source: str = "manual"


@dataclass(frozen=True)
class GameOver(Event):
    """A game ended, the show's own or an external one (``/game/over``): its rainbow is due.

    ``seed`` picks the rainbow (None: derived from winner and score); ``target`` is the scene
    that reveals it; ``at`` is ``perf_counter`` at the end of the game. ``attract``: a game
    the show played with itself while nobody was there (its trigger is ``attract``, not
    ``game``, so posting rules and the gallery tell it from a visitor's game).
    """

    winner: str
    score: float
    seed: int | None = None
    caption: str | None = None
    target: str = "rainbow"
    source: str = "osc"
    at: float = field(default_factory=time.perf_counter, compare=False)
    attract: bool = False


# Output events: announced by scenes and the director on the output bus -----------------------


@dataclass(frozen=True, eq=False)
class ImageRevealed(Event):
    """A scene showed a newly generated image for the first time (a rainbow on trigger).

    Carries everything needed to save it and re-render it exactly: the latent, truncation,
    seed and model. ``trigger_to_frame_ms`` is from the trigger to the frame that first drew it.
    """

    image: NDArray[np.uint8]
    z: NDArray[np.float32]
    truncation: float
    seed: int
    model_name: str
    model_path: Path
    scene: str
    trigger: str
    trigger_to_frame_ms: float
    caption: str | None = None
    wall_time: float = field(default_factory=time.time)
    trigger_at: float | None = None
    """``perf_counter`` when the trigger was posted (stats time it to the frame's present)."""


@dataclass(frozen=True)
class GameStarted(Event):
    """A player started a real game (not the attract loop)."""

    scene: str
    source: str


@dataclass(frozen=True)
class GameFinished(Event):
    """A game ended. ``outcome`` against the agent: ``agent`` (it won), ``player``, ``draw``;
    empty for two players, the attract loop and external games."""

    scene: str
    winner: str
    moves: int
    outcome: str = ""
    attract: bool = False


@dataclass(frozen=True)
class SceneChanged(Event):
    """The director finished a crossfade: ``scene`` is now on screen."""

    scene: str
    previous: str


@dataclass(frozen=True)
class HoursChanged(Event):
    """The director opened or closed the show (``OpeningHours``): closed, the scenes rest and
    the screen is black; sinks that work for an open show (posting, the screen's power) follow.
    ``first``: the state at the show's start, not a change."""

    open: bool
    reason: str
    first: bool = False


@dataclass(frozen=True)
class ParameterChanged(Event):
    """A live parameter change was applied to a scene."""

    scene: str
    name: str
    value: ParameterValue


@dataclass(frozen=True)
class EventRefused(Event):
    """An input event could not be applied (unknown scene, bad value); ``reason`` says why."""

    event: Event
    reason: str


@dataclass(frozen=True)
class StatusReport(Event):
    """The director's answer to ``StatusRequested``: what is on screen now."""

    reply_to: ReplyTo
    scene: str
    blackout: bool


@dataclass(frozen=True)
class Pong(Event):
    """The frame loop's answer to ``PingReceived``: the show is alive and drawing frames."""

    reply_to: ReplyTo


@dataclass(frozen=True)
class ShowHeartbeat(Event):
    """Once a second from the frame loop: frames so far, fps over the last beat, counters."""

    frames: int
    fps: float
    late_frames: int
    uptime_s: float
    counters: Mapping[str, int]


class EventQueue:
    """A thread-safe queue of events; ``post`` never blocks, ``drain`` takes all that waits."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def post(self, event: Event) -> None:
        self._queue.put(event)

    def drain(self) -> list[Event]:
        events: list[Event] = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events
