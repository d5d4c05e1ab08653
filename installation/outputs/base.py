"""The output-sink contract and the output bus that feeds sinks.

Scenes and the director announce what happened (a rainbow revealed, a scene changed) by
publishing output events on the ``OutputBus``; sinks (gallery, stats, later the OSC sender and
the posting outbox) take them. ``handle`` is called on the frame loop's thread, so it must
never block: a sink that does slow work (disk, network) hands the event to its own worker.
Each sink says what it does when that worker falls behind (``when_behind``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import ClassVar, Literal

from installation.events import Event

log = logging.getLogger(__name__)

BehindPolicy = Literal["drop", "keep"]
"""``drop``: a full queue drops the new event and counts it. ``keep``: nothing is ever
dropped (the sink's own work is cheap and constant, or it persists before returning)."""


class OutputSink(ABC):
    """Something that reacts to output events: start, handle events, stop.

    ``handle`` must return at once (microseconds); ``stop`` may wait for queued work.
    """

    name: ClassVar[str] = "output"
    when_behind: ClassVar[BehindPolicy] = "keep"

    def start(self) -> None:
        """Start the sink's worker, if it has one."""
        return None

    @abstractmethod
    def handle(self, event: Event) -> None:
        """Take one event; never blocks."""

    def stop(self) -> None:
        """Finish or drop queued work (as the sink documents) and stop its worker."""
        return None


class OutputBus:
    """Delivers each published event to every sink, in order; a failing sink is isolated.

    ``publish`` is called from the frame loop's thread. A sink that raises is logged once
    per exception type and counted through ``count`` (``output_errors``); the show goes on.
    """

    def __init__(
        self, sinks: Iterable[OutputSink] = (), count: Callable[[str], None] | None = None
    ) -> None:
        self.sinks: list[OutputSink] = list(sinks)
        self._count = count
        self._reported: set[tuple[str, str]] = set()
        self._started = False

    def add(self, sink: OutputSink) -> None:
        self.sinks.append(sink)
        if self._started:
            sink.start()

    def start(self) -> None:
        for sink in self.sinks:
            sink.start()
        self._started = True

    def publish(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink.handle(event)
            except Exception as exc:  # one broken sink must not stop the show or the others
                if self._count is not None:
                    self._count("output_errors")
                key = (sink.name, type(exc).__name__)
                if key not in self._reported:  # bounded: sinks x exception types
                    self._reported.add(key)
                    log.exception("output %s failed on %s", sink.name, type(event).__name__)

    def stop(self) -> None:
        for sink in reversed(self.sinks):
            try:
                sink.stop()
            except Exception:
                log.exception("output %s failed to stop", sink.name)
        self._started = False
