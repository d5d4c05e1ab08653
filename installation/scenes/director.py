"""The director: plays the show's scenes, crossfades between them, routes events to them.

Playlist: a scene with a duration hands over when its time is up; ``NextScene``,
``PreviousScene`` and ``SelectScene`` hand over at once. The incoming scene is activated first
and the crossfade starts only when it is ready, so the screen never goes black while a model
warms up.

Routing: untargeted triggers go to the scene on screen (and the incoming one). A trigger that
names a scene reaches it even while another is on screen: the director activates it in the
background, and when its settings say ``show_on_trigger`` it switches to it (and back after
``return_after_seconds``, when set). A background scene is let go once it is no longer busy.
``SetParameter`` is validated against the scene's settings (type, range, live or not); a bad
value is refused with an ``EventRefused`` output event, never applied.

Cards (``Scene.card``, ``cards.py``: a game's result card) are drawn last, over the scenes and
their crossfade, and outlive a cut: over the rainbow of the game that just ended.

Opening hours (``OpeningHours``, from ``[schedule]``): at closing the picture fades to black
and, once black, every scene is deactivated (no model work, no attract game, no reveal); while
closed no event reaches a scene. At opening the scene on screen is activated again and the
picture fades back. ``HoursChanged`` on the output bus tells the sinks (posting, the screen).

Nothing here waits: activating starts workers, deactivating only signals them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from installation.canvas import Canvas, Colour, Rect
from installation.events import (
    Blackout,
    Event,
    EventRefused,
    GameFinished,
    GameInput,
    GameOver,
    HoursChanged,
    NextScene,
    OpeningHours,
    ParameterChanged,
    PingReceived,
    PointAt,
    Pong,
    PreviousScene,
    ResetScene,
    SceneChanged,
    SelectScene,
    SetParameter,
    StatusReport,
    StatusRequested,
    Trigger,
)
from installation.scenes.base import Scene
from installation.scenes.cards import Cards
from installation.scenes.playlist import Playlist
from installation.throttled_log import ThrottledLog

log = logging.getLogger(__name__)
BLACKOUT_SECONDS = 0.5
"""How long the picture takes to fade to black (and back)."""
WHILE_CLOSED = (Blackout, PingReceived, StatusRequested)
"""What a closed show still answers; every other input waits for no one (it is dropped)."""


def _ignore(event: Event) -> None:
    return None


class Director(Playlist):
    """Holds the playlist and the scenes on screen; the frame loop calls update and draw."""

    def __init__(
        self,
        scenes: Sequence[Scene[Any]],
        crossfade_seconds: float,
        background: Colour = (0, 0, 0),
        emit: Callable[[Event], None] = _ignore,
        inbox: list[Event] | None = None,
    ) -> None:
        super().__init__(scenes)
        self.crossfade_seconds = crossfade_seconds
        self.background = background
        self._emit = emit
        self._started = 0.0
        self._incoming: int | None = None
        self._fade_started: float | None = None
        self._background: set[int] = set()
        self._return_to: tuple[int, float] | None = None
        self._cards = Cards()
        self._blackout_on = False
        self._blackout_level = 0.0
        self._closed: bool | None = None  # None: the opening hours have not spoken (open)
        self._asleep = False  # closed and black: every scene deactivated
        self._now = 0.0
        self._refusals = ThrottledLog(log)
        self.inbox: list[Event] = inbox if inbox is not None else []
        """Input events scenes post (a game's ``GameOver``): handled in the same frame."""

    @property
    def incoming(self) -> Scene[Any] | None:
        return None if self._incoming is None else self.scenes[self._incoming]

    @property
    def fading(self) -> bool:
        return self._fade_started is not None

    @property
    def blackout_level(self) -> float:
        """0 = picture, 1 = black."""
        return self._blackout_level

    @property
    def closed(self) -> bool:
        """Outside the show's opening hours."""
        return bool(self._closed)

    def active(self) -> list[Scene[Any]]:
        """Scenes whose model work runs now: on screen, incoming, and busy in the background."""
        return [] if self._asleep else [self.scenes[i] for i in sorted(self._active_indices())]

    def _active_indices(self) -> set[int]:
        indices = {self.index, *self._background}
        if self._incoming is not None:
            indices.add(self._incoming)
        return indices

    def start(self, now: float) -> None:
        self._now = self._started = now
        self.current.activate(now)

    def stop(self) -> None:
        if self._asleep:
            return
        for index in self._active_indices():
            self.scenes[index].deactivate()
        self._background.clear()
        self._incoming = self._fade_started = None
        self._cards.clear()

    # update --------------------------------------------------------------------------------

    def update(self, now: float, events: Sequence[Event]) -> None:
        elapsed, self._now = max(0.0, now - self._now), now
        routed: dict[int, list[Event]] = {}
        for event in self._opening_hours(events, now):
            self._handle(event, now, routed)
        if self._asleep:
            self._fade_blackout(elapsed)
            return
        duration = self.current.settings.duration_seconds
        if self._incoming is None and duration > 0 and now - self._started >= duration:
            self._switch((self.index + 1) % len(self.scenes), now)
        if self._return_to is not None and now >= self._return_to[1]:
            back, self._return_to = self._return_to[0], None
            self._switch(back, now)
        for index in self._active_indices():
            self.scenes[index].update(now, routed.get(index, []))
        self._handle_inbox(now)
        self._finish_fade(now)
        self._let_go_of_background()
        self._cards.update(self._drawn(), now)
        self._fade_blackout(elapsed)
        if self._closed and self._blackout_level >= 1.0:
            self.stop()  # black now: the scenes rest until opening time
            self._asleep, self._return_to = True, None

    def _opening_hours(self, events: Sequence[Event], now: float) -> list[Event]:
        """Acts on ``OpeningHours``; returns the other events a show open (or closed) handles."""
        kept: list[Event] = []
        for event in events:
            if not isinstance(event, OpeningHours):
                if not self._closed or isinstance(event, WHILE_CLOSED):
                    kept.append(event)
                continue
            first, closed = self._closed is None, not event.open
            if closed == self._closed:
                continue
            self._closed = closed
            log.info("opening hours: %s (%s)", "closed" if closed else "open", event.reason)
            if not closed and self._asleep:
                self._asleep = False
                self._started = now
                self.current.activate(now)
            self._emit(HoursChanged(event.open, event.reason, first))
        return kept

    def _handle(self, event: Event, now: float, routed: dict[int, list[Event]]) -> None:
        if isinstance(event, NextScene):
            self._switch((self._target_index() + 1) % len(self.scenes), now)
        elif isinstance(event, PreviousScene):
            self._switch((self._target_index() - 1) % len(self.scenes), now)
        elif isinstance(event, SelectScene):
            index = self.find(event.name)
            if index is None:
                self._refuse(event, f"no scene named {event.name!r}")
            else:
                self._switch(index, now)
        elif isinstance(event, Blackout):
            self._blackout_on = not self._blackout_on if event.on is None else event.on
        elif isinstance(event, Trigger):
            self._route_trigger(event, now, routed)
        elif isinstance(event, GameInput):
            for index in self._active_indices():
                if self.scenes[index].settings.kind == "tictactoe":
                    routed.setdefault(index, []).append(event)
        elif isinstance(event, GameOver):
            self._game_over(event, now, routed)
        elif isinstance(event, SetParameter):
            self._set_parameter(event)
        elif isinstance(event, PointAt):
            self._point_at(event, now)
        elif isinstance(event, ResetScene):
            self._reset(event, now)
        elif isinstance(event, PingReceived):
            self._emit(Pong(event.reply_to))
        elif isinstance(event, StatusRequested):
            scene = self.incoming.name if self.incoming is not None else self.current.name
            self._emit(StatusReport(event.reply_to, scene, self._blackout_on or self.closed))

    def _handle_inbox(self, now: float) -> None:
        """What scenes posted while updating, handled now rather than a frame later: a game's
        end reaches the rainbow scene in the frame it happened (bounded: a few rounds)."""
        if self._closed:  # closing: a game's end makes no rainbow now
            self.inbox.clear()
        for _ in range(4):
            if not self.inbox:
                return
            events, self.inbox[:] = list(self.inbox), []
            routed: dict[int, list[Event]] = {}
            for event in events:
                self._handle(event, now, routed)
            for index, scene_events in routed.items():
                if index in self._active_indices():
                    self.scenes[index].update(now, scene_events)
        self.inbox.clear()

    def _game_over(self, event: GameOver, now: float, routed: dict[int, list[Event]]) -> None:
        """A finished game's rainbow: a trigger for its scene with the game's seed and caption.
        An external game (over OSC) is counted here; the show's own game counts itself."""
        if event.source == "osc":
            self._emit(GameFinished("external", event.winner, 0))
        seed = event.seed
        if seed is None:
            digest = hashlib.sha256(f"game over:{event.winner}:{event.score:g}".encode()).digest()
            seed = int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
        caption = event.caption or f"{event.winner} won with {event.score:g}"
        name = "attract" if event.attract else "game"  # nobody played an attract game
        trigger = Trigger(name, target=event.target, seed=seed, caption=caption, at=event.at)
        self._route_trigger(trigger, now, routed)

    def _target_index(self) -> int:
        """Where next/previous count from: the incoming scene during a crossfade."""
        return self.index if self._incoming is None else self._incoming

    def _route_trigger(self, trigger: Trigger, now: float, routed: dict[int, list[Event]]) -> None:
        if trigger.target is None:
            for index in {self.index, self._target_index()}:
                routed.setdefault(index, []).append(trigger)
            return
        found = self.find(trigger.target)
        if found is None:
            self._refuse(trigger, f"no scene named {trigger.target!r}")
            return
        index = found
        if index not in self._active_indices():
            self.scenes[index].activate(now)
            self._background.add(index)
        routed.setdefault(index, []).append(trigger)
        settings = self.scenes[index].settings
        if settings.show_on_trigger and index != self._target_index():
            previous = self._target_index()
            self._switch(index, now)
            if settings.return_after_seconds > 0:
                self._return_to = (previous, now + settings.return_after_seconds)

    def _set_parameter(self, event: SetParameter) -> None:
        result = self.validated(event.scene, event.name, event.value)
        if isinstance(result, str):
            self._refuse(event, result)
            return
        scene, updated = result
        scene.reconfigure(updated)
        self._emit(ParameterChanged(scene.name, event.name, event.value))

    def _point_at(self, event: PointAt, now: float) -> None:
        index = self.index if event.scene is None else self.find(event.scene)
        if index is None:
            self._refuse(event, f"no scene named {event.scene!r}")
        elif not self.scenes[index].steer(event.x, event.y, now):
            self._refuse(event, f"{self.scenes[index].name} cannot be steered to a point")

    def _reset(self, event: ResetScene, now: float) -> None:
        index = self.index if event.scene is None else self.find(event.scene)
        if index is None:
            self._refuse(event, f"no scene named {event.scene!r}")
        elif index in self._active_indices():
            self.scenes[index].reset(now)
        # An inactive scene starts from its seed anyway when it is next activated.

    def _refuse(self, event: Event, reason: str) -> None:
        self._emit(EventRefused(event, reason))
        self._refusals.warning((type(event).__name__, reason), "refused %s: %s", event, reason)

    def _switch(self, index: int, now: float) -> None:
        """Start a crossfade to scene ``index`` (replacing an incoming scene, if any)."""
        if index == self._target_index():
            return
        if self._incoming is not None:
            previous_incoming, self._incoming = self._incoming, None
            self._fade_started = None
            if previous_incoming not in self._background:
                self.scenes[previous_incoming].deactivate()
        self._return_to = None
        if index == self.index:
            return  # back to the scene on screen: the crossfade is simply cancelled
        if index not in self._active_indices():
            self.scenes[index].activate(now)
        self._background.discard(index)
        self._incoming = index
        log.info("switching to scene: %s", self.scenes[index].name)

    def _finish_fade(self, now: float) -> None:
        if self._incoming is None:
            return
        incoming = self.scenes[self._incoming]
        if self._fade_started is None and incoming.ready():
            self._fade_started = now
        if self._fade_started is not None and self._fade_fraction() >= 1.0:
            previous = self.current
            if self.index not in self._background:
                previous.deactivate()
            self.index, self._incoming, self._fade_started = self._incoming, None, None
            self._started = now
            self._emit(SceneChanged(self.current.name, previous.name))

    def _let_go_of_background(self) -> None:
        on_screen = {self.index, self._target_index()}
        for index in list(self._background):
            if index in on_screen:
                self._background.discard(index)
            elif not self.scenes[index].busy():
                self._background.discard(index)
                self.scenes[index].deactivate()

    def _fade_blackout(self, elapsed: float) -> None:
        step = elapsed / BLACKOUT_SECONDS
        target = 1.0 if self._blackout_on or self._closed else 0.0
        if self._blackout_level < target:
            self._blackout_level = min(target, self._blackout_level + step)
        elif self._blackout_level > target:
            self._blackout_level = max(target, self._blackout_level - step)

    def _fade_fraction(self) -> float:
        if self._fade_started is None:
            return 0.0
        if self.crossfade_seconds <= 0:
            return 1.0
        return min(1.0, (self._now - self._fade_started) / self.crossfade_seconds)

    def _drawn(self) -> list[tuple[int, Scene[Any]]]:
        """The scenes drawn now, bottom first: the current one, and the incoming once fading."""
        fading = self._incoming is not None and self._fade_started is not None
        indices = [self.index, self._incoming] if fading else [self.index]
        return [(index, self.scenes[index]) for index in indices if index is not None]

    # draw ----------------------------------------------------------------------------------

    def keep_clear(self, size: tuple[int, int]) -> list[Rect]:
        """What the scenes drawn now and the cards over them keep clear of overlays (headlines,
        a result card) on a canvas of ``size``."""
        scenes = [rect for _, scene in self._drawn() for rect in scene.keep_clear(size)]
        return scenes + self._cards.keep_clear(size)

    def draw(self, canvas: Canvas) -> None:
        canvas.clear(self.background)
        if self._blackout_level >= 1.0:
            return
        self.current.draw(canvas, 1.0)
        if self._incoming is not None and self._fade_started is not None:
            self.scenes[self._incoming].draw(canvas, self._fade_fraction())
        self._cards.draw(canvas, self._now)
        if self._blackout_level > 0.0:
            width, height = canvas.size
            canvas.draw_rect((0, 0, width, height), (0, 0, 0), alpha=self._blackout_level)
