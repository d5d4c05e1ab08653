"""The stats sink: output events become counters and timings in ``RunStats``."""

from __future__ import annotations

from collections import deque

from installation.events import (
    Event,
    EventRefused,
    GameFinished,
    GameStarted,
    HoursChanged,
    ImageRevealed,
    ParameterChanged,
    SceneChanged,
)
from installation.loop.stats import RunStats
from installation.outputs.base import OutputSink

OUTCOME_COUNTERS = {"agent": "agent_wins", "player": "agent_losses"}
"""A game against the agent: who won (draws are counted for every game)."""


GAME_TRIGGERS = frozenset({"game", "attract"})
"""Triggers that are a game's end: timed as ``game_over_to_frame`` too."""


class StatsSink(OutputSink):
    """Counts what the show did (images revealed, scenes switched, parameters changed or
    refused) and times it: ``trigger_to_frame`` runs from the trigger (a key, an OSC datagram's
    arrival) to the present of the first frame that shows the new image (``presented``).

    Its work is a counter increment per event, so it keeps everything (``when_behind = keep``).
    """

    name = "stats"
    when_behind = "keep"

    def __init__(self, stats: RunStats) -> None:
        self.stats = stats
        self._unpresented: deque[tuple[float, str]] = deque(maxlen=16)

    def handle(self, event: Event) -> None:
        if isinstance(event, GameStarted):
            self.stats.count("games_started")
        elif isinstance(event, GameFinished):
            self.stats.count("games_finished")
            if not event.winner:
                self.stats.count("draws")
            if event.outcome in OUTCOME_COUNTERS:
                self.stats.count(OUTCOME_COUNTERS[event.outcome])
        elif isinstance(event, ImageRevealed):
            self.stats.count("images_revealed")
            if event.trigger_at is None:
                self.stats.time("trigger_to_frame", event.trigger_to_frame_ms)
                if event.trigger in GAME_TRIGGERS:
                    self.stats.time("game_over_to_frame", event.trigger_to_frame_ms)
            else:
                self._unpresented.append((event.trigger_at, event.trigger))
        elif isinstance(event, SceneChanged):
            self.stats.count("scene_switches")
        elif isinstance(event, ParameterChanged):
            self.stats.count("parameters_changed")
        elif isinstance(event, EventRefused):
            self.stats.count("events_refused")
        elif isinstance(event, HoursChanged) and not (event.open and event.first):
            self.stats.count("schedule_opened" if event.open else "schedule_closed")

    def presented(self, at: float) -> None:
        """The frame loop presented a frame at ``at`` (``perf_counter``): time the reveals in it."""
        while self._unpresented:
            triggered, trigger = self._unpresented.popleft()
            self.stats.time("trigger_to_frame", (at - triggered) * 1000.0)
            if trigger in GAME_TRIGGERS:  # a game's end: a visitor's, an attract or an external one
                self.stats.time("game_over_to_frame", (at - triggered) * 1000.0)
