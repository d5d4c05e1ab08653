"""Who owns an outbox's rows, what a dead owner left behind, and when an image can go.

A process that sends (a show, ``outbox send``) holds an exclusive lock on ``outbox.sqlite.lock``
(``flock``, released by the kernel when the process dies, however it dies). Whoever takes the
lock first resolves the rows a dead process left ``sending``: one that never got as far as the
request that creates the post (``committing_since`` unset) is queued again; one that did is
repeated where the target's publisher says a repeat cannot post twice (Mastodon's idempotency
key, Bluesky's fixed record key, asked for with ``getRecord`` before the repeat), else it becomes
``unknown`` for the operator. A process that cannot take the lock never touches ``sending``
rows: they belong to a live process.

Images in ``folder/images`` are deleted once every row that posts them is ``sent`` (or gone:
dropped by the operator); a file no row names (the process died between writing the image and
committing its rows) is deleted when it is older than ``ORPHAN_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from installation.outputs.publishers.outbox_store import OutboxStore

log = logging.getLogger(__name__)
ORPHAN_SECONDS = 600.0

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock; one process per outbox is assumed
    fcntl = None  # type: ignore[assignment]


class OutboxLock:
    """The exclusive lock that says a live process owns an outbox's ``sending`` rows."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        """Take the lock if no live process holds it (never waits)."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("ab")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None


def recover(
    store: OutboxStore,
    windows: Mapping[str, float],
    now: float,
    count: Callable[[str], None] = lambda name: None,
) -> int:
    """Resolve what a dead process left ``sending`` (the caller holds the lock). ``windows``:
    per target, how long after a lost answer a repeat cannot post twice (missing: 0)."""
    resolved = 0
    for item in store.left_sending():
        resolved += 1
        if item.committing_since is None:
            store.defer(item.id, now, "interrupted before posting; sent again", now)
            log.info("outbox: #%d was interrupted before posting; it goes again", item.id)
            continue
        first = item.first_unclear_at or item.committing_since
        if now - first < windows.get(item.target, 0.0):
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
        count("posts_unknown")
        log.error(
            "outbox: #%d to %s was being posted when the show stopped: unknown. Check the "
            "account, then `installation outbox retry %d` (not posted) or `drop %d`.",
            item.id,
            item.target,
            item.id,
            item.id,
        )
    return resolved


def images_folder(database: Path) -> Path:
    return database.parent / "images"


def remove_if_done(store: OutboxStore, image: Path) -> bool:
    """Delete ``image`` (only one of the outbox's own) once every row posting it is sent."""
    if image.parent != images_folder(store.path) or not store.image_unneeded(image):
        return False
    try:
        image.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("outbox: could not delete the posted image %s: %s", image, exc)
        return False
    return True


def sweep_images(store: OutboxStore, now: float | None = None) -> int:
    """Delete the outbox's images that no unsent row needs (the caller holds the lock)."""
    folder = images_folder(store.path)
    if not folder.is_dir():
        return 0
    named = store.images()
    now = time.time() if now is None else now
    removed = 0
    for path in folder.iterdir():
        if not path.is_file():
            continue
        if str(path) in named:
            removed += remove_if_done(store, path)
            continue
        try:  # no row names it: written by a process that died before its rows committed
            if now - path.stat().st_mtime > ORPHAN_SECONDS:
                os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed
