"""The rainbow scene: a generator drifting through latent space, revealing a new rainbow on cue.

Between triggers the scene drifts (spherical interpolation between random latents, computed
ahead on a worker). A trigger (Space, OSC, the stage game, or the auto-reveal timer) asks the
model for a new rainbow on a second worker; the frame it is ready, it fades in over the drift,
holds, and the drift then continues *from that rainbow's latent*: the drift worker is
restarted with a new producer, never joined, so the frame loop does not wait. Every revealed
rainbow is announced as an ``ImageRevealed`` output event (the gallery saves it, stats time it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from installation.canvas import Canvas, Image
from installation.config.schema import ModelKind, SceneSettings
from installation.events import Event, ImageRevealed, Trigger
from installation.models.base import Model
from installation.models.request_worker import RequestSource
from installation.scenes.base import SequenceFactory
from installation.scenes.keyframe_scene import KeyframeScene, Producer
from installation.scenes.latent_walk import slerp
from installation.scenes.layers import Layer, draw_layers

Latent = NDArray[np.float32]
RequestFactory = Callable[
    [Callable[[tuple[Latent, float]], Image], str], RequestSource[tuple[Latent, float], Image]
]


class RainbowSettings(SceneSettings):
    """``kind = "rainbow"``: a ``generator`` that drifts and reveals a new image on a trigger."""

    model_kind: ClassVar[ModelKind | None] = "generator"
    live_parameters: ClassVar[frozenset[str]] = frozenset(
        {"truncation", "drift_truncation", "hold_seconds", "auto_reveal_seconds", "walk_speed"}
    )

    kind: Literal["rainbow"]
    model: str
    truncation: float = Field(0.8, ge=0.0, le=1.0, description="psi for revealed rainbows")
    drift_truncation: float = Field(0.7, ge=0.0, le=1.0, description="psi while drifting")
    drift_frame_rate: float = Field(10.0, gt=0.0, le=120.0, description="images per second")
    drift_seconds_per_waypoint: float = Field(
        6.0, gt=0.0, le=3600.0, description="seconds from one drift waypoint to the next"
    )
    walk_speed: float = Field(
        1.0, ge=0.0, le=10.0, description="drift speed factor (0 = hold still; OSC /rainbow/walk)"
    )
    latent_span: float = Field(
        1.0, gt=0.0, le=4.0, description="size of the steering plane (OSC /rainbow/latent, gaze)"
    )
    steer_seconds: float = Field(
        5.0, gt=0.0, le=3600.0, description="after the last steering point, drift on by itself"
    )
    steer_smoothing: float = Field(
        0.35, gt=0.0, le=1.0, description="share of the way to the steered point per image"
    )
    reveal_seconds: float = Field(0.5, ge=0.0, le=30.0, description="fade-in of a new rainbow")
    hold_seconds: float = Field(10.0, ge=0.0, le=3600.0, description="before drifting again")
    auto_reveal_seconds: float = Field(
        0.0, ge=0.0, le=86400.0, description="reveal a new rainbow every N s; 0 = on trigger only"
    )
    seed: int = Field(
        0,
        ge=0,
        le=2**31 - 1,
        description="the n-th reveal is `installation rainbow --seed` seed + n",
    )


def rainbow_latent(seed: int, size: int = 512) -> Latent:
    """The latent for ``installation rainbow --seed N``: standard normal from that seed."""
    return np.random.default_rng(seed).standard_normal(size).astype(np.float32)


def latent_plane(seed: int, size: int = 512) -> tuple[Latent, Latent, Latent]:
    """Centre and two orthogonal directions of the steering plane for a scene seed.

    Like Runway's vector grid: a point (x, y) in [0, 1]^2 is ``plane_point``. Each direction
    has the norm typical of a standard normal latent, so the corners are as far from the
    centre as two random latents are from each other.
    """
    rng = np.random.default_rng([seed, 0x5EED])
    centre, u, v = rng.standard_normal((3, size))
    u -= centre * (u @ centre) / (centre @ centre)
    v -= centre * (v @ centre) / (centre @ centre) + u * (v @ u) / (u @ u)
    typical = math.sqrt(size)
    u *= typical / np.linalg.norm(u)
    v *= typical / np.linalg.norm(v)
    return centre.astype(np.float32), u.astype(np.float32), v.astype(np.float32)


def plane_point(
    plane: tuple[Latent, Latent, Latent], x: float, y: float, span: float = 1.0
) -> Latent:
    """The latent at (x, y) in [0, 1]^2, scaled back to the centre's norm (the Gaussian shell)."""
    centre, u, v = plane
    z = centre + span * ((2.0 * x - 1.0) * u + (2.0 * y - 1.0) * v)
    return (z * (np.linalg.norm(centre) / max(float(np.linalg.norm(z)), 1e-12))).astype(np.float32)


def generate(model: Model, z: Latent, truncation: float) -> Image:
    """One image from a generator model for one latent."""
    outputs = model.run(
        {"z": z[None, :].astype(np.float32), "truncation": np.array([truncation], np.float32)}
    )
    return np.ascontiguousarray(outputs["image"][0])


@dataclass
class _Reveal:
    ticket: int
    seed: int
    z: Latent
    truncation: float
    trigger: Trigger
    image: Image | None = None
    shown_at: float | None = None


class RainbowScene(KeyframeScene[RainbowSettings]):
    """Drift plus reveal-on-trigger for a ``generator`` model (see module docstring)."""

    def __init__(
        self,
        settings: RainbowSettings,
        model: Model,
        make_sequence: SequenceFactory[Image],
        make_requests: RequestFactory,
        emit: Callable[[Event], None],
    ) -> None:
        super().__init__(settings, settings.drift_frame_rate, make_sequence)
        self.model = model
        self._make_requests = make_requests
        self._requests: RequestSource[tuple[Latent, float], Image] | None = None
        self._emit = emit
        self._size = model.spec.latent_size
        self._frames_per_waypoint = settings.drift_frame_rate * settings.drift_seconds_per_waypoint
        self._anchor = rainbow_latent(settings.seed, self._size)
        self._epoch = 0
        self.revealed = 0
        self._requested = 0
        self._reveal: _Reveal | None = None
        self._pending: _Reveal | None = None
        self._drifting = False
        self._previous: Image | None = None
        self._return_started: float | None = None
        self._next_auto: float | None = None
        self._now = 0.0
        self._plane = latent_plane(settings.seed, self._size)
        self._steer: tuple[Latent, float] | None = None
        """The steered latent and when it was asked for; replaced whole (read by the worker)."""

    # drift ---------------------------------------------------------------------------------

    def drift_latent(self, index: int, anchor: Latent | None = None, epoch: int = 0) -> Latent:
        """Latent of drift image ``index`` at speed 1 from ``anchor`` (default: the scene's)."""
        anchor = self._anchor if anchor is None else anchor
        return self.drift_latent_at(index / self._frames_per_waypoint, anchor, epoch)

    def _waypoint(self, index: int, anchor: Latent, epoch: int, leg: int = 0) -> Latent:
        if index == 0:
            return anchor
        key = [self.settings.seed, epoch, index] + ([leg] if leg else [])
        rng = np.random.default_rng(key)
        return rng.standard_normal(self._size).astype(np.float32)

    def producer(self) -> Producer:
        """Drift images in order: the waypoint walk at ``walk_speed``, or towards a steered point.

        A snapshot of anchor and epoch: a reveal changes the scene's, never a running
        producer's. Speed and steering are read per image, so they act within a keyframe or
        two. When steering stops, the walk goes on from wherever the steering left the latent.
        """
        anchor, epoch = self._anchor, self._epoch
        position, leg = 0.0, 0
        z: Latent | None = None
        steering = False

        def produce(index: int) -> Image:
            nonlocal anchor, position, leg, z, steering
            steer = self._steer
            if steer is not None and self._now - steer[1] <= self.settings.steer_seconds:
                current = self.drift_latent_at(position, anchor, epoch, leg) if z is None else z
                z = slerp(current, steer[0], self.settings.steer_smoothing)
                steering = True
            else:
                if steering and z is not None:  # drift on from where the steering left it
                    anchor, position, leg, steering = z, 0.0, leg + 1, False
                z = self.drift_latent_at(position, anchor, epoch, leg)
                position += self.settings.walk_speed / self._frames_per_waypoint
            return generate(self.model, z, self.settings.drift_truncation)

        return produce

    def drift_latent_at(self, position: float, anchor: Latent, epoch: int, leg: int = 0) -> Latent:
        """The walk's latent at ``position`` (in waypoints) from ``anchor``."""
        segment = math.floor(position)
        a = self._waypoint(segment, anchor, epoch, leg)
        b = self._waypoint(segment + 1, anchor, epoch, leg)
        return slerp(a, b, position - segment)

    def steer(self, x: float, y: float, now: float) -> bool:
        """Steer the drift towards (x, y) on the scene's latent plane (``latent_plane``)."""
        self._steer = (plane_point(self._plane, x, y, self.settings.latent_span), now)
        return True

    # lifecycle -----------------------------------------------------------------------------

    def activate(self, now: float) -> None:
        # The drift starts on the first update with no reveal pending: a trigger that wakes
        # the scene (a game's end) gets the model to itself, so its rainbow comes sooner.
        self._drifting = False
        self._now = now
        self._requests = self._make_requests(self._run_request, f"{self.name}-reveal")
        self._requests.start()
        auto = self.settings.auto_reveal_seconds
        self._next_auto = now + auto if auto > 0 else None

    def deactivate(self) -> None:
        super().deactivate()
        if self._requests is not None:
            self._requests.stop()
            self._requests = None

    def _run_request(self, request: tuple[Latent, float]) -> Image:
        z, truncation = request
        return generate(self.model, z, truncation)

    # frames --------------------------------------------------------------------------------

    def busy(self) -> bool:
        return self._pending is not None

    def trigger(self, trigger: Trigger) -> None:
        """Ask for a new rainbow; the newest trigger wins if several arrive at once.

        The n-th reveal uses latent seed ``settings.seed + n``, unless the trigger names a
        seed: then it is exactly the rainbow of ``installation rainbow --seed N``.
        """
        if self._requests is None:
            return
        self._requested += 1
        seed = self.settings.seed + self._requested if trigger.seed is None else trigger.seed
        z = rainbow_latent(seed, self._size)
        truncation = self.settings.truncation
        ticket = self._requests.submit((z, truncation))
        self._pending = _Reveal(ticket, seed, z, truncation, trigger)

    def update(self, now: float, events: Sequence[Event]) -> None:
        self._now = now
        for event in events:
            if isinstance(event, Trigger):
                self.trigger(event)
        if self._next_auto is not None and now >= self._next_auto:
            self._next_auto = now + self.settings.auto_reveal_seconds
            self.trigger(Trigger("auto"))
        # A rainbow someone waits for gets the model first: the drift shows the keyframes it
        # has computed ahead (its worker keeps two in hand) and asks for more once it is in.
        self.hold_back = self._pending is not None
        if self._drifting:
            super().update(now, events)
        self._collect(now)
        if not self._drifting and self._pending is None:
            self._drifting = True
            self.hold_back = False
            super().activate(now)
            super().update(now, events)
        self._maybe_return(now)

    def ready(self) -> bool:
        """A drift frame, or a revealed rainbow (woken by a trigger, it shows that first)."""
        reveal = self._reveal
        return super().ready() or (reveal is not None and reveal.image is not None)

    def _collect(self, now: float) -> None:
        pending = self._pending
        if pending is None or self._requests is None:
            return
        image = self._requests.result(pending.ticket)
        if image is None:
            return
        pending.image, pending.shown_at = image, now
        if self._reveal is not None and self._reveal.image is not None:
            self._previous = self._reveal.image
        self._reveal, self._pending, self._return_started = pending, None, None
        self.revealed += 1
        latency = (time.perf_counter() - pending.trigger.at) * 1000.0
        self._emit(
            ImageRevealed(
                image=image,
                z=pending.z,
                truncation=pending.truncation,
                seed=pending.seed,
                model_name=self.model.name,
                model_path=self.model.spec.path,
                scene=self.name,
                trigger=pending.trigger.name,
                trigger_to_frame_ms=latency,
                caption=pending.trigger.caption,
                trigger_at=pending.trigger.at,
            )
        )

    def _maybe_return(self, now: float) -> None:
        reveal = self._reveal
        if reveal is None or reveal.shown_at is None:
            return
        if self._return_started is None:
            hold_until = reveal.shown_at + self.settings.reveal_seconds + self.settings.hold_seconds
            if now >= hold_until and self._pending is None:
                # Drift on from the revealed latent; fade back once its first frame exists.
                self._anchor, self._epoch = reveal.z, self._epoch + 1
                self.restart(now)
                self._return_started = math.inf
        elif self._return_started == math.inf and super().ready():  # a drift frame exists
            self._return_started = now
        elif self._fraction(self._return_started) >= 1.0:
            self._reveal, self._previous, self._return_started = None, None, None

    def _fraction(self, start: float | None) -> float:
        if start is None or math.isinf(start):
            return 0.0
        if self.settings.reveal_seconds <= 0:
            return 1.0
        return min(1.0, max(0.0, (self._now - start) / self.settings.reveal_seconds))

    def layers(self, alpha: float) -> list[Layer]:
        """What the scene shows now, bottom first: drift, previous rainbow, new rainbow."""
        reveal = self._reveal
        fade_in = self._fraction(reveal.shown_at) if reveal is not None else 0.0
        fade_out = self._fraction(self._return_started)
        layers: list[Layer] = []
        drift = self.current_image
        if drift is not None and (reveal is None or fade_in < 1.0 or fade_out > 0.0):
            layers.append((drift, alpha))
        keep = alpha * (1.0 - fade_out)
        if self._previous is not None and fade_in < 1.0:
            layers.append((self._previous, keep))
        if reveal is not None and reveal.image is not None:
            # From its first frame on, a new rainbow is visibly there (10 %), then fades in.
            layers.append((reveal.image, keep * max(fade_in, 0.1)))
        return layers

    def draw(self, canvas: Canvas, alpha: float) -> None:
        draw_layers(canvas, self.layers(alpha), self.settings.fit)
