"""The outbox's database: one row per post, in SQLite (WAL, synchronous FULL).

States: ``queued`` (waiting for its next attempt), ``sending`` (an attempt is under way: set
and committed *before* the first byte goes out), ``sent``, ``failed`` (refused for good, or out
of attempts) and ``unknown`` (an attempt's outcome cannot be known; shown to the operator,
never sent again unless the operator says ``outbox retry``). Every change is one transaction,
so a process killed at any instant leaves each row in exactly one of these states.

The database holds no credentials: only what is posted, where, and what happened.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from installation.errors import InstallationError

State = Literal["queued", "sending", "sent", "failed", "unknown"]
STATES: tuple[State, ...] = ("queued", "sending", "sent", "failed", "unknown")
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    image TEXT NOT NULL,
    caption TEXT NOT NULL,
    alt TEXT NOT NULL,
    origin TEXT NOT NULL,
    post_key TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    sending_since REAL,
    committing_since REAL,
    first_unclear_at REAL,
    sent_at REAL,
    remote_id TEXT,
    url TEXT,
    last_error TEXT,
    checks INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS posts_due ON posts (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS posts_sent_at ON posts (sent_at);
"""


class OutboxError(InstallationError):
    """The outbox database cannot be opened or an operator command names a missing item."""


@dataclass(frozen=True)
class Item:
    """One row of the outbox."""

    id: int
    target: str
    image: Path
    caption: str
    alt: str
    origin: str
    key: str
    state: State
    attempts: int
    created_at: float
    updated_at: float
    next_attempt_at: float
    sending_since: float | None
    committing_since: float | None
    first_unclear_at: float | None
    sent_at: float | None
    remote_id: str | None
    url: str | None
    last_error: str | None
    checks: int = 0
    """Pre-checks that failed (resuming a session, asking whether an earlier try posted):
    not attempts of the post itself, so they never count against ``max_attempts``."""


_COLUMNS = (
    "id, target, image, caption, alt, origin, post_key, state, attempts, created_at, updated_at, "
    "next_attempt_at, sending_since, committing_since, first_unclear_at, sent_at, remote_id, url, "
    "last_error, checks"
)


def _item(row: tuple[object, ...]) -> Item:
    values = list(row)
    values[2] = Path(str(values[2]))
    return Item(*values)  # type: ignore[arg-type]


def new_key() -> str:
    """A post's fixed key: 13 characters of the AT protocol's base32 (a valid Bluesky TID)."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    micros = int(time.time() * 1_000_000)
    tid = ((micros << 10) | secrets.randbits(10)) & ((1 << 63) - 1)
    return "".join(alphabet[(tid >> (5 * shift)) & 31] for shift in range(12, -1, -1))


_OPENING = threading.Lock()
"""One store at a time sets the database up in this process: the intake and the workers open
theirs together at start, and SQLite answers two connections that both upgrade their lock for
WAL and the schema with an immediate "database is locked" (no busy wait on a deadlock)."""


class OutboxStore:
    """The outbox database at ``path`` (created with its folder); one per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            with _OPENING:
                self._set_up(path)
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(
                f"Cannot open the outbox database {path}: {exc}. Check [posting] folder "
                "(it must be a writable folder on a local disk)."
            ) from exc

    def _set_up(self, path: Path) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(posts)")}
        if "checks" not in columns:  # an outbox written before pre-checks were counted apart
            self._db.execute("ALTER TABLE posts ADD COLUMN checks INTEGER NOT NULL DEFAULT 0")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            raise OutboxError(
                f"Outbox {path} was written by another version (schema {version}, this one "
                f"reads {SCHEMA_VERSION}); move it aside to start a new outbox."
            )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Queueing and reading -----------------------------------------------------------------

    def add(
        self, target: str, image: Path, caption: str, alt: str, origin: str, now: float
    ) -> Item:
        (item,) = self.add_many((target,), image, caption, alt, origin, now)
        return item

    def add_many(
        self,
        targets: tuple[str, ...],
        image: Path,
        caption: str,
        alt: str,
        origin: str,
        now: float,
    ) -> list[Item]:
        """One row per target, all in one transaction: a post goes to every target or none."""
        ids = []
        with self._transaction() as db:
            for target in targets:
                cursor = db.execute(
                    "INSERT INTO posts (target, image, caption, alt, origin, post_key, state, "
                    "created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, "
                    "'queued', ?, ?, ?)",
                    (target, str(image), caption, alt, origin, new_key(), now, now, now),
                )
                ids.append(int(cursor.lastrowid or 0))
        return [self.get(item_id) for item_id in ids]

    def get(self, item_id: int) -> Item:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM posts WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise OutboxError(
                f"The outbox {self.path} has no item {item_id}; `installation outbox list` "
                "shows the items there are."
            )
        return _item(row)

    def items(self, states: tuple[State, ...] = STATES, limit: int = 1000) -> list[Item]:
        marks = ", ".join("?" for _ in states)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM posts WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?",
            (*states, limit),
        ).fetchall()
        return [_item(row) for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM posts GROUP BY state").fetchall()
        found = {str(state): int(count) for state, count in rows}
        return {state: found.get(state, 0) for state in STATES}

    def next_due(
        self, now: float, blocked: frozenset[str] = frozenset(), target: str | None = None
    ) -> Item | None:
        """The queued item (of ``target``, or any not blocked) due soonest, if due now."""
        marks = ", ".join("?" for _ in blocked)
        not_blocked = f"AND target NOT IN ({marks})" if blocked else ""
        only = "AND target = ?" if target is not None else ""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM posts WHERE state = 'queued' {not_blocked} {only} "
            "ORDER BY next_attempt_at, id LIMIT 1",
            (*blocked, *((target,) if target is not None else ())),
        ).fetchone()
        if row is None:
            return None
        item = _item(row)
        return item if item.next_attempt_at <= now else None

    def queued_targets(self) -> set[str]:
        rows = self._db.execute("SELECT DISTINCT target FROM posts WHERE state = 'queued'")
        return {str(row[0]) for row in rows.fetchall()}

    def next_wake(self, target: str) -> float | None:
        """When the earliest queued item of ``target`` is due, or None when none is."""
        row = self._db.execute(
            "SELECT MIN(next_attempt_at) FROM posts WHERE state = 'queued' AND target = ?",
            (target,),
        )
        value = row.fetchone()[0]
        return None if value is None else float(value)

    def sent_since(self, since: float) -> list[float]:
        """Start times of attempts that posted (or may have) since ``since``, oldest first."""
        rows = self._db.execute(
            "SELECT COALESCE(sent_at, sending_since) AS at FROM posts WHERE "
            "(state = 'sent' AND sent_at >= ?) OR state = 'sending' "
            "OR (state = 'unknown' AND sending_since >= ?) ORDER BY at",
            (since, since),
        ).fetchall()
        return [float(row[0]) for row in rows if row[0] is not None]

    # State changes ------------------------------------------------------------------------

    def claim(self, item_id: int, now: float) -> Item:
        """``queued`` -> ``sending``, committed before anything goes out."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE posts SET state = 'sending', sending_since = ?, committing_since = NULL, "
                "updated_at = ? WHERE id = ? AND state = 'queued'",
                (now, now, item_id),
            ).rowcount
        if changed != 1:
            raise OutboxError(f"outbox item {item_id} is no longer queued")
        return self.get(item_id)

    def committing(self, item_id: int, now: float) -> None:
        """The request that creates the post is about to go out (durably noted first)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE posts SET committing_since = ?, updated_at = ? WHERE id = ?",
                (now, now, item_id),
            )

    def mark_sent(self, item_id: int, remote_id: str, url: str, now: float) -> None:
        self._finish(item_id, "sent", now, remote_id=remote_id, url=url, last_error=None)

    def requeue(
        self, item_id: int, not_before: float, error: str, now: float, unclear: bool = False
    ) -> None:
        """Back to ``queued`` after an attempt that did not post (or that is safe to repeat)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE posts SET state = 'queued', attempts = attempts + 1, "
                "next_attempt_at = ?, last_error = ?, updated_at = ?, first_unclear_at = "
                "CASE WHEN ? AND first_unclear_at IS NULL THEN committing_since "
                "ELSE first_unclear_at END WHERE id = ?",
                (not_before, error, now, unclear, item_id),
            )

    def defer(
        self, item_id: int, not_before: float, reason: str, now: float, check: bool = False
    ) -> None:
        """A ``sending`` item that never went out: not an attempt (``check``: a pre-check
        failed, counted apart in ``checks``)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE posts SET state = 'queued', next_attempt_at = ?, last_error = ?, "
                "updated_at = ?, checks = checks + ? WHERE id = ?",
                (not_before, reason, now, int(check), item_id),
            )

    def mark_failed(self, item_id: int, error: str, now: float) -> None:
        self._finish(item_id, "failed", now, last_error=error)

    def mark_unknown(self, item_id: int, error: str, now: float) -> None:
        self._finish(item_id, "unknown", now, last_error=error)

    def _finish(self, item_id: int, state: State, now: float, **values: str | None) -> None:
        sets = ", ".join(f"{name} = ?" for name in values)
        sent_at = now if state == "sent" else None
        with self._transaction() as db:
            db.execute(
                f"UPDATE posts SET state = ?, attempts = attempts + 1, updated_at = ?, "
                f"sent_at = COALESCE(?, sent_at), {sets} WHERE id = ?",
                (state, now, sent_at, *values.values(), item_id),
            )

    def image_unneeded(self, image: Path) -> bool:
        """Whether every row that posts ``image`` is ``sent`` (or none is left)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM posts WHERE image = ? AND state != 'sent'", (str(image),)
        ).fetchone()
        return int(row[0]) == 0

    def images(self) -> set[str]:
        """Every image path a row names."""
        return {str(row[0]) for row in self._db.execute("SELECT DISTINCT image FROM posts")}

    def left_sending(self) -> list[Item]:
        """Items a killed process left in ``sending`` (call before a worker starts)."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM posts WHERE state = 'sending' ORDER BY id"
        ).fetchall()
        return [_item(row) for row in rows]

    # Operator commands ---------------------------------------------------------------------

    def retry(self, item_id: int, now: float) -> Item:
        """``failed`` or ``unknown`` -> ``queued`` now (the operator checked it was not posted)."""
        item = self.get(item_id)
        if item.state not in ("failed", "unknown"):
            raise OutboxError(
                f"Outbox item {item_id} is {item.state}; only failed or unknown items can be "
                "retried (queued ones are retried on their own)."
            )
        with self._transaction() as db:
            db.execute(
                "UPDATE posts SET state = 'queued', next_attempt_at = ?, updated_at = ?, "
                "first_unclear_at = NULL WHERE id = ?",
                (now, now, item_id),
            )
        return self.get(item_id)

    def drop(self, item_id: int) -> Item:
        """Delete an item that is not being sent right now."""
        item = self.get(item_id)
        if item.state == "sending":
            raise OutboxError(
                f"Outbox item {item_id} is being sent right now; wait for the attempt to end "
                "(or stop the show) and drop it then."
            )
        with self._transaction() as db:
            db.execute("DELETE FROM posts WHERE id = ?", (item_id,))
        return item
