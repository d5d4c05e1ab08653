"""One-off model requests off the frame loop (a rainbow for a trigger), newest request wins.

``ThreadedRequests`` runs each submitted request on its own worker thread; a request
submitted while another waits replaces it (the newest trigger is what matters on stage).
``InlineRequests`` runs it at once in the caller's thread (offline rendering, tests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from installation.models.thread_priority import lower_this_thread

R = TypeVar("R")
T = TypeVar("T")
R_contra = TypeVar("R_contra", contravariant=True)
T_co = TypeVar("T_co", covariant=True)
log = logging.getLogger(__name__)


class RequestSource(Protocol[R_contra, T_co]):
    """Submit requests, collect results by ticket; ``result`` never blocks when threaded."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def submit(self, request: R_contra) -> int:
        """Queue a request and return its ticket (increasing from 1)."""

    def result(self, ticket: int) -> T_co | None:
        """The result for ``ticket`` once computed, else None."""

    @property
    def failure(self) -> str | None:
        """Why the last request failed, or None."""


class InlineRequests(Generic[R, T]):
    """Runs each request immediately."""

    def __init__(self, run: Callable[[R], T]) -> None:
        self._run = run
        self._results: dict[int, T] = {}
        self._ticket = 0
        self.failure: str | None = None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def submit(self, request: R) -> int:
        self._ticket += 1
        self._results = {self._ticket: self._run(request)}
        return self._ticket

    def result(self, ticket: int) -> T | None:
        return self._results.get(ticket)


class ThreadedRequests(Generic[R, T]):
    """Runs requests on a worker thread; keeps only the newest pending request and result."""

    def __init__(self, run: Callable[[R], T], name: str) -> None:
        self._run = run
        self._pending: tuple[int, R] | None = None
        self._done: tuple[int, T] | None = None
        self._ticket = 0
        self._stopping = False
        self._condition = threading.Condition()
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._work, name=f"requests-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the worker to end; returns at once (a request in progress finishes unseen)."""
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

    def submit(self, request: R) -> int:
        with self._condition:
            self._ticket += 1
            self._pending = (self._ticket, request)
            self._condition.notify()
            return self._ticket

    def result(self, ticket: int) -> T | None:
        done = self._done  # one reference read: the old or the new result, never half
        return done[1] if done is not None and done[0] == ticket else None

    def _work(self) -> None:
        lower_this_thread()  # the frame loop goes first when the cores are busy
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._stopping or self._pending is not None)
                if self._stopping:
                    return
                assert self._pending is not None
                ticket, request = self._pending
                self._pending = None
            try:
                value = self._run(request)
            except Exception as exc:  # keep serving later requests
                log.exception("%s: request %d failed", self._thread.name, ticket)
                self.failure = f"{type(exc).__name__}: {exc}"
                continue
            self.failure = None
            self._done = (ticket, value)
