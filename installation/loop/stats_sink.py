"""The stats sink: output events become counters and timings in ``RunStats``."""

from __future__ import annotations

from installation.events import Event, EventRefused, ImageRevealed, ParameterChanged
from installation.loop.stats import RunStats
from installation.outputs.base import OutputSink


class StatsSink(OutputSink):
    """Counts what the show did (images revealed, parameters changed or refused) and times it.

    Its work is a counter increment per event, so it keeps everything (``when_behind = keep``).
    """

    name = "stats"
    when_behind = "keep"

    def __init__(self, stats: RunStats) -> None:
        self.stats = stats

    def handle(self, event: Event) -> None:
        if isinstance(event, ImageRevealed):
            self.stats.count("images_revealed")
            self.stats.time("trigger_to_frame", event.trigger_to_frame_ms)
        elif isinstance(event, ParameterChanged):
            self.stats.count("parameters_changed")
        elif isinstance(event, EventRefused):
            self.stats.count("events_refused")
