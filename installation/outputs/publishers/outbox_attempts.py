"""What the outbox does with each attempt's outcome (see ``outbox``'s docstring)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from installation.outputs.publishers.outbox_recovery import remove_if_done
from installation.outputs.publishers.outbox_store import Item, OutboxStore
from installation.outputs.publishers.post import Post, Publisher, Rejected, Retry, Unclear

log = logging.getLogger("installation.outputs.publishers.outbox")


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


class Attempts:
    """The outbox's per-attempt policy (a mixin: ``Outbox`` provides the state)."""

    policy: Policy
    _rng: random.Random
    _blocked: dict[str, float]
    _count: Callable[[str], None]

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
            if exc.check and store.get(item.id).committing_since is None:
                self._check_failed(store, item, str(exc), exc.not_before)
            else:
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
            remove_if_done(store, item.image)

    def _check_failed(
        self, store: OutboxStore, item: Item, reason: str, not_before: float | None
    ) -> None:
        """A pre-check failed: nothing was tried, so no attempt is used up (backs off all the
        same, counting the checks too)."""
        now = time.time()
        at = now + self.policy.backoff(item.attempts + item.checks, self._rng)
        if not_before is not None:
            self._blocked[item.target] = not_before
            at = max(at, not_before)
        store.defer(item.id, at, reason, now, check=True)
        log.warning(
            "outbox: #%d to %s: %s; again in %.0f s", item.id, item.target, reason, at - now
        )

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
