"""The outbox: takes posts in, keeps them in SQLite, sends each exactly once.

Threads, none of them the frame loop's (``submit`` never blocks):

- **intake** (one): writes each handed-in post's image (durably) and inserts one row per
  target in ONE transaction, at once, never behind a network request. Its queue holds at most
  ``INTAKE_SIZE`` jobs, each with the small generated image (never an upscaled one). A crash
  between the reveal and the intake's commit (the queue wait plus one image encode, ~0.1 s)
  loses that post whole; once committed, it is posted to every target.
- **one worker per target**: a hung network holds up only its own target. Workers start once
  this process holds the outbox's lock (``outbox_recovery``), after resolving what a dead
  process left ``sending``; a claim checks the hourly cap and claims the row atomically.

The policy, per attempt:

- ``Posted``: ``sent`` (the image is deleted once every target of it is ``sent``).
- ``Retry``: back to ``queued`` after an exponential backoff with jitter, never before the
  service's rate-limit reset (which also holds back every other post to that target). A
  ``Retry`` of a pre-check (``check``: resuming a session, asking whether an earlier try
  posted) is counted in ``checks``, not in ``attempts``: it never uses up ``max_attempts``.
- ``Rejected``: ``failed`` (bad credentials, a post the service will never take).
- ``Unclear`` (the answer to the creating request was lost): repeated while the publisher says a
  repeat cannot post twice (Mastodon's idempotency key, Bluesky's record key), else ``unknown``.
- More than ``max_attempts`` attempts: ``failed``.

``pause`` (the show's closed hours) stops the workers from claiming rows: what is queued stays
queued, new posts are still taken in and saved, and nothing is sent (not even in the drain of
a stop) until ``resume``. An attempt already under way when it pauses finishes.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from installation.outputs.publishers.outbox_attempts import Attempts, Policy
from installation.outputs.publishers.outbox_recovery import (
    OutboxLock,
    recover,
    sweep_images,
)
from installation.outputs.publishers.outbox_store import Item, OutboxError, OutboxStore
from installation.outputs.publishers.post import Publisher

log = logging.getLogger(__name__)
HOUR = 3600.0
IDLE_WAKE_SECONDS = 1.0
LOCK_POLL_SECONDS = 2.0
INTAKE_SIZE = 8


@dataclass(frozen=True)
class Job:
    """Something to post: ``write`` makes the image file (on the intake thread), then one item
    per target is queued, all in one transaction."""

    targets: tuple[str, ...]
    caption: str
    alt: str
    origin: str
    write: Callable[[], Path] = field(compare=False)


class Outbox(Attempts):
    """The intake thread, one worker per target, the lock and the store they share."""

    def __init__(
        self,
        database: Path,
        publishers: Mapping[str, Publisher],
        policy: Policy,
        count: Callable[[str], None] | None = None,
        seed: int | None = None,
        wait_for_lock: bool = True,
    ) -> None:
        self.database = database
        self.publishers = dict(publishers)
        self.policy = policy
        self.wait_for_lock = wait_for_lock
        """False (``outbox send``): give up at once when another process owns the outbox."""
        self._count = count or (lambda name: None)
        self._rng = random.Random(seed)
        self._jobs: queue.Queue[Job] = queue.Queue(maxsize=INTAKE_SIZE)
        self.lock = OutboxLock(database)
        self._closing = threading.Event()
        self._stopping = threading.Event()
        self._paused = threading.Event()
        self._intake_thread = threading.Thread(target=self._intake, name="outbox-intake")
        self._intake_thread.daemon = True
        self._owner = threading.Thread(target=self._own, name="outbox", daemon=True)
        self._workers: dict[str, threading.Thread] = {}
        self._wakes = {target: threading.Event() for target in self.publishers}
        self._state = threading.Lock()  # never held across I/O: submit takes it
        self._claiming = threading.Lock()  # the hourly cap and the claim, one worker at a time
        self._pending = 0
        self._generation = 0
        self._quiet = dict.fromkeys(self.publishers, False)
        self._started_workers = False
        self._blocked: dict[str, float] = {}
        self.dropped = 0
        self.idle = threading.Event()
        """Set when nothing this run can send is left queued (``outbox send`` waits for it)."""
        self.error: Exception | None = None
        self._drain_until = 0.0
        self.rounds = 0
        """Times the workers went round their loops (a busy loop would show here)."""

    # Frame-loop side (never blocks) ----------------------------------------------------------

    def submit(self, job: Job) -> bool:
        with self._state:
            self._pending += 1
            self.idle.clear()
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            with self._state:
                self._pending -= 1
            self.dropped += 1
            self._count("posts_dropped")
            log.error("outbox: the intake is far behind; a %s post was dropped", job.origin)
            return False
        return True

    def start(self) -> None:
        self._intake_thread.start()
        self._owner.start()

    def pause(self) -> None:
        """Send nothing more until ``resume`` (queued rows wait; intake goes on)."""
        if not self._paused.is_set():
            self._paused.set()
            log.info("outbox: paused (the show is closed); queued posts wait")

    def resume(self) -> None:
        if self._paused.is_set():
            self._paused.clear()
            log.info("outbox: resumed")
            self._wake_all()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self, timeout: float = 35.0, drain_seconds: float = 3.0) -> None:
        """Queue what was handed in, send what is due for up to ``drain_seconds`` more (a show
        stopped just after its game's rainbow still posts it), let running attempts end (up to
        ``timeout``), stop. What is left stays queued for the next start."""
        self._closing.set()
        if self._intake_thread.is_alive():
            self._intake_thread.join(timeout)
        self._drain_until = time.time() + drain_seconds
        self._stopping.set()
        self._wake_all()
        deadline = time.monotonic() + timeout
        for thread in [self._owner, *self._workers.values()]:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in self._workers.values()):
            log.warning(
                "outbox: an attempt is still running after %.0f s; it is resolved at the "
                "next start",
                timeout,
            )
        else:
            self.lock.release()
        for publisher in self.publishers.values():
            publisher.close()

    @property
    def alive(self) -> bool:
        threads = [self._owner, *self._workers.values()]
        return any(thread.is_alive() for thread in threads)

    def _fault(self, point: str) -> None:
        """A named instant between two writes (fault tests end the process here)."""

    def _wake_all(self) -> None:
        for wake in self._wakes.values():
            wake.set()

    # Intake --------------------------------------------------------------------------------

    def _intake(self) -> None:
        try:
            store = OutboxStore(self.database)
        except OutboxError as exc:
            self.error = exc
            log.error("outbox: %s; nothing will be posted this run", exc)
            return
        try:
            while True:
                try:
                    job = self._jobs.get(timeout=0.5)
                except queue.Empty:
                    if self._closing.is_set():
                        return
                    continue
                self._take(store, job)
        finally:
            store.close()

    def _take(self, store: OutboxStore, job: Job) -> None:
        items: list[Item] = []
        try:
            image = job.write()
            self._fault("image-written")
            items = store.add_many(
                job.targets, image, job.caption, job.alt, job.origin, time.time()
            )
        except Exception as exc:  # a full disk, a broken database: this post is lost, say so
            self._count("posts_dropped")
            log.error("outbox: could not queue the %s post: %s", job.origin, exc)
        finally:
            with self._state:
                self._pending -= 1
                self._generation += 1
                for target in job.targets:
                    if target in self._quiet:
                        self._quiet[target] = False
                self._maybe_idle()
        for item in items:
            self._count("posts_queued")
            log.info("outbox: queued #%d (%s) for %s", item.id, job.origin, item.target)
            if item.target in self._wakes:
                self._wakes[item.target].set()
        self._fault("rows-added")

    def _maybe_idle(self) -> None:
        """(Holding ``_state``.) Set ``idle`` when nothing is pending and no worker has work."""
        if self._started_workers and self._pending == 0 and all(self._quiet.values()):
            self.idle.set()

    # Owner: the lock, recovery, the workers --------------------------------------------------

    def _own(self) -> None:
        warned = False
        try:
            while not self.lock.acquire():
                if not self.wait_for_lock:
                    raise OutboxError(
                        f"another process (a running show or `outbox send`) is sending the "
                        f"posts of {self.database}; stop it first"
                    )
                if not warned:
                    warned = True
                    log.warning(
                        "outbox: another process sends this outbox's posts; this one queues "
                        "its posts and sends them once that one stops"
                    )
                if self._stopping.wait(LOCK_POLL_SECONDS):
                    return
            store = OutboxStore(self.database)
            try:
                windows = {n: p.safe_to_repeat_seconds for n, p in self.publishers.items()}
                recover(store, windows, time.time(), self._count)
                sweep_images(store)
                for target in sorted(store.queued_targets() - self.publishers.keys()):
                    log.error(
                        "outbox: posts for %r wait: this run has no such target (missing "
                        "credentials, or it left the show); `installation doctor` says why",
                        target,
                    )
            finally:
                store.close()
        except Exception as exc:
            self.error = exc
            log.error("outbox: %s; nothing will be sent this run", exc)
            return
        for target in self.publishers:
            thread = threading.Thread(
                target=self._work, args=(target,), name=f"outbox-{target}", daemon=True
            )
            self._workers[target] = thread
            thread.start()
        with self._state:
            self._started_workers = True
            self._maybe_idle()

    # Workers -------------------------------------------------------------------------------

    def _work(self, target: str) -> None:
        try:
            store = OutboxStore(self.database)
        except OutboxError as exc:
            self.error = exc
            log.error("outbox: %s; nothing will be posted to %s this run", exc, target)
            return
        try:
            while True:
                self.rounds += 1
                stopping = self._stopping.is_set()
                if stopping and time.time() >= self._drain_until:
                    return
                if not self._send_next(store, target):
                    if stopping:
                        return  # nothing due now: what waits for a retry stays queued
                    self._wait(store, target)
        except Exception as exc:  # the worker must say why it stopped; the show goes on
            self.error = exc
            log.exception("outbox: the %s worker stopped; its posts stay queued", target)
        finally:
            store.close()

    def _wait(self, store: OutboxStore, target: str) -> None:
        """Sleep until the target's next item is due, its rate limit or the hourly cap lifts,
        or new work arrives; at most a second (never a busy wait: what is due was just tried)."""
        generation = self._generation
        now = time.time()
        wakes = [store.next_wake(target) or math.inf, self._cap_free(store, now)]
        wakes.append(self._blocked.get(target, 0.0))
        later = [wake - now for wake in wakes if wake > now]
        quiet = target not in store.queued_targets()
        with self._state:
            if generation == self._generation:
                self._quiet[target] = quiet
                self._maybe_idle()
        wake = self._wakes[target]
        wake.wait(timeout=min([IDLE_WAKE_SECONDS, *later]))
        wake.clear()

    def _cap_free(self, store: OutboxStore, now: float) -> float:
        """When the hourly cap lets the next post out (``now`` when it already does)."""
        recent = store.sent_since(now - HOUR)
        if len(recent) < self.policy.max_posts_per_hour:
            return now
        return recent[len(recent) - self.policy.max_posts_per_hour] + HOUR

    def _send_next(self, store: OutboxStore, target: str) -> bool:
        now = time.time()
        if self._paused.is_set() or self._blocked.get(target, 0.0) > now:
            return False
        with self._claiming:  # the cap counts rows in `sending`: check and claim as one
            if self._cap_free(store, now) > now:
                return False
            item = store.next_due(now, target=target)
            if item is None:
                return False
            claimed = store.claim(item.id, now)
        self._attempt(store, claimed, self.publishers[target])
        return True


__all__ = ["Job", "Outbox", "Policy"]
