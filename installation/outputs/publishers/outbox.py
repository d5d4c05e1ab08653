"""The outbox worker: takes posts in, keeps them in SQLite, sends each exactly once.

One thread does everything slow: encoding images, writing rows, talking to networks. The frame
loop only hands it work (``submit`` never blocks). The policy, per attempt:

- ``Posted``: ``sent``.
- ``Retry``: back to ``queued`` after an exponential backoff with jitter, never before the
  service's rate-limit reset (which also holds back every other post to that target).
- ``Rejected``: ``failed`` (bad credentials, a post the service will never take).
- ``Unclear`` (the answer to the creating request was lost): repeated while the publisher says a
  repeat cannot post twice (Mastodon's idempotency key, Bluesky's record key), else ``unknown``.
- More than ``max_attempts`` attempts: ``failed``.

At start, items a killed process left in ``sending`` are resolved: one that never got as far as
the creating request (``committing_since`` unset) is queued again; one that did is repeated if
the publisher says that is safe, else it becomes ``unknown`` and waits for the operator.
A per-show cap on posts per hour holds everything back once reached.
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

from installation.outputs.publishers.outbox_store import Item, OutboxError, OutboxStore
from installation.outputs.publishers.post import Post, Publisher, Rejected, Retry, Unclear

log = logging.getLogger(__name__)
HOUR = 3600.0
IDLE_WAKE_SECONDS = 1.0


@dataclass(frozen=True)
class Policy:
    """How hard the outbox tries (from ``[posting]``)."""

    max_attempts: int = 12
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_posts_per_hour: int = 20

    def backoff(self, attempts: int, rng: random.Random) -> float:
        """Seconds before attempt ``attempts + 1``: exponential, half of it jittered."""
        ceiling = min(self.retry_max_seconds, self.retry_base_seconds * 2.0 ** min(attempts, 60))
        return ceiling * (0.5 + 0.5 * rng.random())


@dataclass(frozen=True)
class Job:
    """Something to post: ``write`` makes the image file (on the worker), then one item per
    target is queued."""

    targets: tuple[str, ...]
    caption: str
    alt: str
    origin: str
    write: Callable[[], Path] = field(compare=False)


class Outbox:
    """The worker thread, its intake queue and the store it owns."""

    def __init__(
        self,
        database: Path,
        publishers: Mapping[str, Publisher],
        policy: Policy,
        count: Callable[[str], None] | None = None,
        seed: int | None = None,
    ) -> None:
        self.database = database
        self.publishers = dict(publishers)
        self.policy = policy
        self._count = count or (lambda name: None)
        self._rng = random.Random(seed)
        self._jobs: queue.Queue[Job] = queue.Queue(maxsize=256)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._blocked: dict[str, float] = {}
        self._unavailable_logged: set[str] = set()
        self.dropped = 0
        self.idle = threading.Event()
        """Set when nothing this run can send is left queued (``outbox send`` waits for it)."""
        self.error: Exception | None = None
        self._drain_until = 0.0
        self.rounds = 0
        """Times the worker went round its loop (a busy loop would show here)."""

    # Frame-loop side (never blocks) ----------------------------------------------------------

    def submit(self, job: Job) -> bool:
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            self._count("posts_dropped")
            log.error("outbox: the worker is far behind; a %s post was dropped", job.origin)
            return False
        self.idle.clear()
        self._wake.set()
        return True

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 35.0, drain_seconds: float = 3.0) -> None:
        """Queue what was handed in, send what is due for up to ``drain_seconds`` more (a show
        stopped just after its game's rainbow still posts it), let a running attempt end (up to
        ``timeout``), stop. What is left stays queued for the next start."""
        self._drain_until = time.time() + drain_seconds
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning(
                    "outbox: an attempt is still running after %.0f s; it is resolved at the "
                    "next start",
                    timeout,
                )
        for publisher in self.publishers.values():
            publisher.close()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # Worker --------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            store = OutboxStore(self.database)
        except OutboxError as exc:
            self.error = exc
            log.error("outbox: %s; nothing will be posted this run", exc)
            return
        try:
            self.recover(store, time.time())
            while True:
                self.rounds += 1
                self._intake(store)
                stopping = self._stopping.is_set()
                if stopping and time.time() >= self._drain_until:
                    return
                if not self._send_next(store):
                    if stopping:
                        return  # nothing due now: what waits for a retry stays queued
                    self._wait(store)
        except Exception as exc:  # the worker must say why it stopped; the show goes on
            self.error = exc
            log.exception("outbox: the worker stopped; posts stay queued for the next start")
        finally:
            store.close()

    def _intake(self, store: OutboxStore) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            try:
                image = job.write()
            except OSError as exc:
                self._count("posts_dropped")
                log.error("outbox: could not write the %s image to post: %s", job.origin, exc)
                continue
            now = time.time()
            for target in job.targets:
                item = store.add(target, image, job.caption, job.alt, job.origin, now)
                self._count("posts_queued")
                log.info("outbox: queued #%d (%s) for %s", item.id, job.origin, target)

    def _wait(self, store: OutboxStore) -> None:
        """Sleep until the next item is due, a rate limit or the hourly cap lifts, or new work
        arrives; at most a second (never a busy wait: what is due now was just tried)."""
        now = time.time()
        unsendable = self._unsendable(store)
        wakes = [store.next_wake(unsendable) or math.inf]
        wakes += [*self._blocked.values(), self._cap_free(store, now)]
        later = [wake - now for wake in wakes if wake > now]
        if not (store.queued_targets() - unsendable) and self._jobs.empty():
            self.idle.set()
        self._wake.wait(timeout=min([IDLE_WAKE_SECONDS, *later]))
        self._wake.clear()

    def _held_back(self, store: OutboxStore, now: float) -> frozenset[str]:
        """Targets not to send to now: rate-limited ones, and those this run cannot send to."""
        self._blocked = {t: until for t, until in self._blocked.items() if until > now}
        return frozenset(self._blocked) | self._unsendable(store)

    def _unsendable(self, store: OutboxStore) -> frozenset[str]:
        """Targets with queued posts and no publisher this run (missing credentials, or gone
        from the show): their posts wait, queued, for a run that can send them."""
        unsendable = frozenset(store.queued_targets() - self.publishers.keys())
        for target in unsendable - self._unavailable_logged:
            self._unavailable_logged.add(target)
            log.error(
                "outbox: posts for %r wait: this run has no such target (missing credentials, "
                "or it left the show); `installation doctor` says why",
                target,
            )
        return unsendable

    def _cap_free(self, store: OutboxStore, now: float) -> float:
        """When the hourly cap lets the next post out (``now`` when it already does)."""
        recent = store.sent_since(now - HOUR)
        if len(recent) < self.policy.max_posts_per_hour:
            return now
        return recent[len(recent) - self.policy.max_posts_per_hour] + HOUR

    def _send_next(self, store: OutboxStore) -> bool:
        now = time.time()
        if self._cap_free(store, now) > now:
            return False
        item = store.next_due(now, self._held_back(store, now))
        if item is None:
            return False
        self._attempt(store, store.claim(item.id, now), self.publishers[item.target])
        return True

    def _attempt(self, store: OutboxStore, item: Item, publisher: Publisher) -> None:
        post = Post(
            item.id,
            item.target,
            item.image,
            item.caption,
            item.alt,
            item.key,
            item.attempts,
            committing=lambda: store.committing(item.id, time.time()),
        )
        try:
            posted = publisher.publish(post)
        except Retry as exc:
            self._retry(store, item, str(exc), exc.not_before)
        except Rejected as exc:
            self._fail(store, item, str(exc))
        except Unclear as exc:
            self._unclear(store, store.get(item.id), publisher, str(exc))
        except Exception as exc:  # a bug in a publisher or library: treat as the worst case
            log.exception("outbox: #%d to %s raised", item.id, item.target)
            current = store.get(item.id)
            if current.committing_since is None:
                self._retry(store, item, f"{type(exc).__name__}: {exc}", None)
            else:
                self._unclear(store, current, publisher, f"{type(exc).__name__}: {exc}")
        else:
            store.mark_sent(item.id, posted.remote_id, posted.url, time.time())
            self._count("posts_sent")
            log.info("outbox: #%d posted to %s: %s", item.id, item.target, posted.url)

    def _out_of_attempts(self, item: Item) -> bool:
        return bool(self.policy.max_attempts) and item.attempts + 1 >= self.policy.max_attempts

    def _retry(
        self,
        store: OutboxStore,
        item: Item,
        reason: str,
        not_before: float | None,
        unclear: bool = False,
    ) -> None:
        if self._out_of_attempts(item):
            self._fail(store, item, f"gave up after {item.attempts + 1} attempts; last: {reason}")
            return
        now = time.time()
        at = now + self.policy.backoff(item.attempts, self._rng)
        if not_before is not None:
            self._blocked[item.target] = not_before
            at = max(at, not_before)
        store.requeue(item.id, at, reason, now, unclear=unclear)
        wait = at - now
        log.warning("outbox: #%d to %s: %s; retry in %.0f s", item.id, item.target, reason, wait)

    def _unclear(self, store: OutboxStore, item: Item, publisher: Publisher, reason: str) -> None:
        first = item.first_unclear_at or item.committing_since or item.sending_since or time.time()
        repeatable = time.time() - first < publisher.safe_to_repeat_seconds
        if repeatable and not self._out_of_attempts(item):
            self._retry(store, item, f"{reason} (a repeat cannot post twice)", None, unclear=True)
            return
        store.mark_unknown(item.id, f"{reason}; it may or may not have been posted", time.time())
        self._count("posts_unknown")
        log.error(
            "outbox: #%d to %s is unknown (%s): check the account, then `installation outbox "
            "retry %d` or `drop %d`",
            item.id,
            item.target,
            reason,
            item.id,
            item.id,
        )

    def _fail(self, store: OutboxStore, item: Item, reason: str) -> None:
        store.mark_failed(item.id, reason, time.time())
        self._count("posts_failed")
        log.error("outbox: #%d to %s failed: %s", item.id, item.target, reason)

    # Start-up ------------------------------------------------------------------------------

    def recover(self, store: OutboxStore, now: float) -> None:
        """Resolve what a killed process left in ``sending``."""
        for item in store.left_sending():
            publisher = self.publishers.get(item.target)
            if item.committing_since is None:
                store.defer(item.id, now, "interrupted before posting; sent again", now)
                log.info("outbox: #%d was interrupted before posting; it goes again", item.id)
                continue
            first = item.first_unclear_at or item.committing_since
            if publisher is not None and now - first < publisher.safe_to_repeat_seconds:
                store.requeue(
                    item.id, now, "interrupted while posting; repeated safely", now, unclear=True
                )
                log.info("outbox: #%d was interrupted while posting; repeated safely", item.id)
                continue
            store.mark_unknown(
                item.id,
                "the show stopped while this was being posted; whether it was cannot be known",
                now,
            )
            self._count("posts_unknown")
            log.error(
                "outbox: #%d to %s was being posted when the show stopped: unknown. Check the "
                "account, then `installation outbox retry %d` (not posted) or `drop %d`.",
                item.id,
                item.target,
                item.id,
                item.id,
            )
