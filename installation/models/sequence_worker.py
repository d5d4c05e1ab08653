"""Computing a deterministic sequence of model outputs off the frame loop.

A scene that shows keyframes 0, 1, 2, ... (lava lamp steps, latent-walk images) hands a
``produce(index)`` function to a ``SequenceSource``. ``ThreadedSequence`` runs it on its own
worker thread and keeps a few items ahead of what the scene asked for, in a small ring of
slots: the frame loop only ever looks up what is ready and never waits. ``InlineSequence``
computes on demand in the caller's thread, for offline rendering and tests, and yields the
same items for the same indices.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from installation.models.thread_priority import STREAM_NICENESS, lower_this_thread

T = TypeVar("T")
log = logging.getLogger(__name__)


class SequenceSource(Protocol[T]):
    """Items of a sequence by index; no method blocks in the threaded form."""

    def start(self) -> None: ...

    def stop(self) -> None:
        """Ask the producer to stop; returns at once (the worker ends on its own)."""

    def restart(self, produce: Callable[[int], T]) -> None:
        """Start over from index 0 with a new producer, without waiting for the old one."""

    def want(self, index: int) -> None:
        """The consumer will soon need items up to ``index``."""

    def get(self, index: int) -> T | None:
        """The item at ``index`` if it has been computed, else None."""

    def newest(self) -> int:
        """Highest index computed so far (-1 before the first)."""

    @property
    def failure(self) -> str | None:
        """Why the producer gave up, or None while it works."""


class InlineSequence(Generic[T]):
    """Computes items in the caller's thread, in order, on demand."""

    def __init__(self, produce: Callable[[int], T], keep: int = 4) -> None:
        self._produce = produce
        self._items: dict[int, T] = {}
        self._next = 0
        self._keep = keep
        self.failure: str | None = None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def restart(self, produce: Callable[[int], T]) -> None:
        self._produce, self._items, self._next = produce, {}, 0

    def want(self, index: int) -> None:
        while self._next <= index:
            self._items[self._next] = self._produce(self._next)
            self._items.pop(self._next - self._keep, None)
            self._next += 1

    def get(self, index: int) -> T | None:
        self.want(index)
        return self._items.get(index)

    def newest(self) -> int:
        return self._next - 1


class ThreadedSequence(Generic[T]):
    """Runs ``produce`` on a worker thread, staying up to ``lookahead`` items ahead.

    Items live in a ring of ``lookahead + 3`` slots; old ones are overwritten. A producer
    that raises is retried after a pause; after ``max_failures`` in a row it stops and
    ``failure`` says why (the scene keeps showing its last frame).

    ``stop`` and ``restart`` only signal the worker under a lock it never holds while
    producing, so the frame loop never waits for a model run. A restart bumps a generation
    number: an item the worker was producing for the old generation is thrown away.
    ``join`` (at shutdown only) waits for the thread to end.
    """

    def __init__(
        self,
        produce: Callable[[int], T],
        name: str,
        lookahead: int = 2,
        max_failures: int = 5,
        retry_seconds: float = 1.0,
    ) -> None:
        self._produce = produce
        self._slots: list[tuple[int, T] | None] = [None] * (lookahead + 3)
        self._lookahead = lookahead
        self._wanted = 0
        self._next = 0
        self._condition = threading.Condition()
        self._stopping = False
        self._generation = 0
        self._max_failures = max_failures
        self._retry_seconds = retry_seconds
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._work, name=f"model-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()

    @property
    def alive(self) -> bool:
        """Whether the worker thread still runs."""
        return self._thread.is_alive()

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the worker to end (after ``stop``); for shutdown, never for the frame loop."""
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def restart(self, produce: Callable[[int], T]) -> None:
        with self._condition:
            self._generation += 1
            self._produce = produce
            self._slots = [None] * len(self._slots)
            self._wanted = self._next = 0
            self.failure = None
            self._condition.notify_all()

    def want(self, index: int) -> None:
        with self._condition:
            if index > self._wanted:
                self._wanted = index
                self._condition.notify()

    def get(self, index: int) -> T | None:
        slot = self._slots[index % len(self._slots)]
        if slot is not None and slot[0] == index:
            return slot[1]
        return None

    def newest(self) -> int:
        return self._next - 1

    def _work(self) -> None:
        lower_this_thread(STREAM_NICENESS)  # the frame loop and requests go first
        failures = 0
        while True:
            with self._condition:
                while not self._stopping and self._next > self._wanted + self._lookahead:
                    self._condition.wait()
                if self._stopping:
                    return
                index, generation, produce = self._next, self._generation, self._produce
            try:
                item = produce(index)
            except Exception as exc:  # a kiosk must survive a bad run: log, pause, retry
                failures += 1
                log.exception(
                    "%s: step %d failed (%d in a row)", self._thread.name, index, failures
                )
                if failures >= self._max_failures:
                    self.failure = f"{type(exc).__name__}: {exc}"
                    return
                with self._condition:  # a pause that stop() can interrupt
                    self._condition.wait_for(lambda: self._stopping, timeout=self._retry_seconds)
                continue
            failures = 0
            with self._condition:
                if self._stopping:
                    return
                if generation != self._generation:
                    continue  # restarted while producing: this item belongs to the old run
                # Publishing is one reference assignment: readers see the old or the new slot.
                self._slots[index % len(self._slots)] = (index, item)
                self._next = index + 1
